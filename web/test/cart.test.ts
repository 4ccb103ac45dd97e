/**
 * @jest-environment jsdom
 */
import type { CartLine } from '../src/cart';

type CartModule = typeof import('../src/cart');
type SessionModule = typeof import('../src/session');

const teapot = { productId: 'p-teapot', name: 'Teapot', unitPrice: { amount: 12000, currency: 'KRW' } };
const kettle = { productId: 'p-kettle', name: 'Kettle', unitPrice: { amount: 8000, currency: 'KRW' } };
const person = (id: string, nickname: string) => ({ accessToken: `token-${id}`, user: { __typename: 'User' as const, id, nickname, email: `${id}@example.com`, avatarUrl: null, bio: null, roles: ['USER' as const] } });
const BOB = person('u-bob', 'Bob');
const CAROL = person('u-carol', 'Carol');

/**
 * The cart and the session as a fresh page load sees them: the cart reads what localStorage holds
 * for whoever the session restores. The session's first refresh (no router here) ends at once,
 * so the page knows nobody is signed in until `signIn`.
 */
async function loadPage(signedIn: ReturnType<typeof person> | null = BOB): Promise<CartModule & SessionModule> {
  let loaded: (CartModule & SessionModule) | undefined;
  jest.isolateModules(() => {
    loaded = { ...(require('../src/session') as SessionModule), ...(require('../src/cart') as CartModule) };
  });
  await waitFor(() => !loaded!.session.isRestoring());
  if (signedIn) loaded!.session.set(signedIn);
  return loaded!;
}

async function waitFor(condition: () => boolean) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

const quantities = (lines: readonly CartLine[]) => Object.fromEntries(lines.map((line) => [line.name, line.quantity]));

beforeEach(() => {
  localStorage.clear();
  // No router in these tests: the session's refresh fails as a network error would.
  global.fetch = jest.fn(() => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch;
});

describe('the cart (kept per user in localStorage until the order is placed)', () => {
  test('adding a product again adds to its line, in the order first added', async () => {
    const { cart } = await loadPage();
    cart.add(teapot);
    cart.add(kettle, 2);
    cart.add(teapot, 3);
    expect(cart.lines().map((line) => line.productId)).toEqual(['p-teapot', 'p-kettle']);
    expect(quantities(cart.lines())).toEqual({ Teapot: 4, Kettle: 2 });
  });

  test(`a line holds 1 to MAX_QUANTITY (the store's limit per product), however it is reached; 0, 1.5 or nonsense never delete a line`, async () => {
    const { cart, MAX_QUANTITY } = await loadPage();
    cart.add(teapot, MAX_QUANTITY - 1);
    cart.add(teapot, 5);
    expect(cart.lines()[0].quantity).toBe(MAX_QUANTITY);
    cart.setQuantity('p-teapot', 1000);
    expect(cart.lines()[0].quantity).toBe(MAX_QUANTITY);
    cart.setQuantity('p-teapot', 0);
    expect(cart.lines()[0].quantity).toBe(1);
    cart.setQuantity('p-teapot', 2.5);
    expect(cart.lines()[0].quantity).toBe(2);
    cart.setQuantity('p-teapot', Number.NaN);
    expect(quantities(cart.lines())).toEqual({ Teapot: 2 });
  });

  test('remove takes a line out and restore (undo) puts it back in its place', async () => {
    const { cart } = await loadPage();
    cart.add(teapot);
    cart.add(kettle, 3);
    const removed = cart.remove('p-teapot')!;
    expect(quantities(cart.lines())).toEqual({ Kettle: 3 });
    cart.restore(removed);
    expect(cart.lines().map((line) => line.name)).toEqual(['Teapot', 'Kettle']);
    expect(cart.remove('p-nothing')).toBeNull();
  });

  test('the cart survives a reload for the same user, and clearing it (an order placed) empties it for the next load too', async () => {
    const first = await loadPage();
    first.cart.add(teapot, 2);
    first.cart.add(kettle);
    const reloaded = await loadPage();
    expect(reloaded.cart.lines()).toEqual(first.cart.lines());
    reloaded.cart.clear();
    expect((await loadPage()).cart.lines()).toEqual([]);
  });

  test('each user has their own cart: Bob logs out (his cart is emptied and forgotten), Carol signs in on the same browser and sees hers, empty', async () => {
    const page = await loadPage(BOB);
    page.cart.add(teapot, 2);
    expect(page.cart.owner()).toBe('u-bob');
    page.session.set(null);
    expect(page.cart.lines()).toEqual([]);
    expect(localStorage.getItem('dorandoran.cart.u-bob')).toBeNull();
    page.session.set(CAROL);
    expect(page.cart.owner()).toBe('u-carol');
    expect(page.cart.lines()).toEqual([]);
    page.cart.add(kettle);
    // Bob back on this browser starts empty: his cart went with his log-out.
    page.session.set(null);
    page.session.set(BOB);
    expect(page.cart.lines()).toEqual([]);
  });

  test('nobody signed in: the cart is empty and keeps nothing', async () => {
    const { cart } = await loadPage(null);
    cart.add(teapot);
    expect(cart.lines()).toEqual([]);
    expect(Object.keys(localStorage)).toEqual([]);
  });

  test('the one cart an older version shared between everyone on the browser is dropped at load', async () => {
    localStorage.setItem('dorandoran.cart', JSON.stringify([{ ...teapot, quantity: 2 }]));
    const { cart } = await loadPage();
    expect(cart.lines()).toEqual([]);
    expect(localStorage.getItem('dorandoran.cart')).toBeNull();
  });

  test.each(['{not json', '{"p-teapot":2}', '[{"productId":"p-teapot","quantity":1.5}]'])('a damaged stored cart (%s) starts empty instead of breaking the page', async (stored) => {
    localStorage.setItem('dorandoran.cart.u-bob', stored);
    const { cart } = await loadPage();
    expect(cart.lines()).toEqual([]);
    cart.add(kettle);
    expect(quantities((await loadPage()).cart.lines())).toEqual({ Kettle: 1 });
  });

  test('subscribers hear every change, and stop hearing once unsubscribed', async () => {
    const { cart } = await loadPage();
    const heard: number[] = [];
    const unsubscribe = cart.subscribe(() => heard.push(cart.lines().length));
    cart.add(teapot);
    cart.add(kettle);
    cart.remove('p-teapot');
    unsubscribe();
    cart.clear();
    expect(heard).toEqual([1, 2, 1]);
  });
});

describe('quantityProblem: what a typed quantity lacks, in words', () => {
  test.each<[string, number | undefined, string | null]>([
    ['2', 38, null],
    ['38', 38, null],
    ['', 38, 'Enter how many you want (at least 1), or remove the item.'],
    ['1.5', 38, 'Enter a whole number, such as 1 or 2.'],
    ['-1', 38, 'Enter a whole number, such as 1 or 2.'],
    ['0', 38, 'Order at least 1, or remove the item.'],
    ['40', 38, 'Only 38 left; enter 38 or fewer.'],
    ['1', 0, 'This item is sold out; remove it to place your order.'],
    ['100', undefined, 'At most 99 per order.'],
    ['100', 500, 'At most 99 per order.'],
  ])('"%s" with %s in stock → %s', async (text, stock, expected) => {
    const { quantityProblem } = await loadPage();
    expect(quantityProblem(text, stock)).toBe(expected);
  });
});
