import { useSyncExternalStore } from 'react';

/** What the buyer picked, kept in localStorage until the order is placed. */
export interface CartLine {
  productId: string;
  name: string;
  unitPrice: { amount: number; currency: string };
  quantity: number;
}

const STORAGE_KEY = 'dorandoran.cart';
const listeners = new Set<() => void>();
let lines: CartLine[] = load();

function load(): CartLine[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(stored) ? (stored as CartLine[]) : [];
  } catch {
    return [];
  }
}

function save(next: CartLine[]) {
  lines = next;
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  for (const listener of listeners) listener();
}

/** The store takes 1 to 99 of a product per order. */
export const MAX_QUANTITY = 99;

export const cart = {
  lines: () => lines,
  add(line: Omit<CartLine, 'quantity'>, quantity = 1) {
    const existing = lines.find((l) => l.productId === line.productId);
    const total = Math.min(MAX_QUANTITY, (existing?.quantity ?? 0) + quantity);
    save(existing ? lines.map((l) => (l.productId === line.productId ? { ...l, quantity: total } : l)) : [...lines, { ...line, quantity: total }]);
  },
  setQuantity(productId: string, quantity: number) {
    save(quantity <= 0 ? lines.filter((l) => l.productId !== productId) : lines.map((l) => (l.productId === productId ? { ...l, quantity: Math.min(MAX_QUANTITY, quantity) } : l)));
  },
  clear: () => save([]),
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export const useCart = () => useSyncExternalStore(cart.subscribe, cart.lines);
