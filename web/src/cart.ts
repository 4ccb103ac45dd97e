import { useSyncExternalStore } from 'react';
import { session } from './session';

/** What the buyer picked, kept in localStorage under the signed-in user until the order is placed. */
export interface CartLine {
  productId: string;
  name: string;
  unitPrice: { amount: number; currency: string };
  quantity: number;
}

/** The store takes 1 to 99 of a product per order. */
export const MAX_QUANTITY = 99;

const KEY_PREFIX = 'dorandoran.cart.';
/** Where an older version kept one cart for everyone using the browser: it is nobody's, so it goes. */
const SHARED_KEY = 'dorandoran.cart';

const storageKey = (userId: string) => `${KEY_PREFIX}${userId}`;
const listeners = new Set<() => void>();
/** Whose cart is shown: the signed-in user's, or nobody's (then it is empty and keeps nothing). */
let owner: string | null = null;
let lines: CartLine[] = [];

const isLine = (value: unknown): value is CartLine => {
  const line = value as CartLine;
  return (
    typeof line?.productId === 'string' &&
    typeof line.name === 'string' &&
    typeof line.unitPrice?.amount === 'number' &&
    typeof line.unitPrice.currency === 'string' &&
    Number.isInteger(line.quantity) &&
    line.quantity >= 1 &&
    line.quantity <= MAX_QUANTITY
  );
};

/** The user's stored cart; a damaged one (edited by hand, an old format) keeps its sound lines only. */
function load(userId: string | null): CartLine[] {
  if (!userId) return [];
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(storageKey(userId)) ?? '[]');
    return Array.isArray(stored) ? stored.filter(isLine) : [];
  } catch {
    return [];
  }
}

function notify() {
  for (const listener of listeners) listener();
}

function save(next: CartLine[]) {
  lines = next;
  if (owner) {
    try {
      if (next.length) localStorage.setItem(storageKey(owner), JSON.stringify(next));
      else localStorage.removeItem(storageKey(owner));
    } catch {
      // Storage full or off: the cart still works for this page.
    }
  }
  notify();
}

/**
 * Follows the session: signing in shows that user's cart; the session ending (log-out) empties the
 * cart and forgets it on this browser, so the next person to sign in here starts with their own.
 * While a reload restores the session the cart waits, rather than take the moment for a log-out.
 */
function followSession() {
  const userId = session.get()?.user.id ?? null;
  if (userId === owner) return;
  if (userId === null && session.isRestoring()) return;
  if (owner && userId === null) {
    try {
      localStorage.removeItem(storageKey(owner));
    } catch {
      // nothing kept, nothing to forget
    }
  }
  owner = userId;
  lines = load(owner);
  notify();
}

try {
  localStorage.removeItem(SHARED_KEY);
} catch {
  // Storage turned off: nothing was kept there either.
}
followSession();
session.subscribe(followSession);

const clamp = (quantity: number) => Math.max(1, Math.min(MAX_QUANTITY, Math.trunc(quantity)));

export const cart = {
  lines: () => lines,
  /** Whose cart this is (null when nobody is signed in). */
  owner: () => owner,
  add(line: Omit<CartLine, 'quantity'>, quantity = 1) {
    if (!owner) return;
    const existing = lines.find((l) => l.productId === line.productId);
    const total = clamp((existing?.quantity ?? 0) + quantity);
    save(existing ? lines.map((l) => (l.productId === line.productId ? { ...l, quantity: total } : l)) : [...lines, { ...line, quantity: total }]);
  },
  /** Sets a line's quantity, kept within 1 to MAX_QUANTITY: a line leaves the cart only through `remove`. */
  setQuantity(productId: string, quantity: number) {
    if (!Number.isFinite(quantity)) return;
    save(lines.map((l) => (l.productId === productId ? { ...l, quantity: clamp(quantity) } : l)));
  },
  /** Takes a line out; returns it with its place, for `restore` (undo). */
  remove(productId: string): { line: CartLine; index: number } | null {
    const index = lines.findIndex((l) => l.productId === productId);
    if (index < 0) return null;
    const line = lines[index];
    save(lines.filter((l) => l.productId !== productId));
    return { line, index };
  },
  /** Puts a removed line back where it was (unless the product was added again meanwhile). */
  restore({ line, index }: { line: CartLine; index: number }) {
    if (lines.some((l) => l.productId === line.productId)) return;
    save([...lines.slice(0, index), line, ...lines.slice(index)]);
  },
  clear: () => save([]),
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export const useCart = () => useSyncExternalStore(cart.subscribe, cart.lines);

/**
 * What is wrong with a quantity as typed, in words; null when it can be ordered. `stock` is what
 * the store has on hand (unknown while it loads).
 */
export function quantityProblem(text: string, stock: number | undefined): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return 'Enter how many you want (at least 1), or remove the item.';
  if (!/^\d+$/.test(trimmed)) return 'Enter a whole number, such as 1 or 2.';
  const quantity = Number(trimmed);
  if (quantity < 1) return 'Order at least 1, or remove the item.';
  if (stock !== undefined && stock === 0) return 'This item is sold out; remove it to place your order.';
  const limit = Math.min(MAX_QUANTITY, stock ?? MAX_QUANTITY);
  if (quantity > limit) return stock !== undefined && stock < MAX_QUANTITY ? `Only ${stock} left; enter ${stock} or fewer.` : `At most ${MAX_QUANTITY} per order.`;
  return null;
}
