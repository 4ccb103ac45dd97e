/**
 * @jest-environment jsdom
 */
import type { CartLine } from '../src/cart';

type CartModule = typeof import('../src/cart');

const teapot = { productId: 'p-teapot', name: 'Teapot', unitPrice: { amount: 12000, currency: 'KRW' } };
const kettle = { productId: 'p-kettle', name: 'Kettle', unitPrice: { amount: 8000, currency: 'KRW' } };

/** The cart module as a fresh page load sees it: it reads what localStorage holds. */
function loadPage(): CartModule {
  let loaded: CartModule | undefined;
  jest.isolateModules(() => {
    loaded = require('../src/cart') as CartModule;
  });
  return loaded!;
}

const quantities = (lines: readonly CartLine[]) => Object.fromEntries(lines.map((line) => [line.name, line.quantity]));

beforeEach(() => localStorage.clear());

describe('the cart (kept in localStorage until the order is placed)', () => {
  test('adding a product again adds to its line, in the order first added', () => {
    const { cart } = loadPage();
    cart.add(teapot);
    cart.add(kettle, 2);
    cart.add(teapot, 3);
    expect(cart.lines().map((line) => line.productId)).toEqual(['p-teapot', 'p-kettle']);
    expect(quantities(cart.lines())).toEqual({ Teapot: 4, Kettle: 2 });
  });

  test(`a line holds at most MAX_QUANTITY (the store's limit per product), however it is reached`, () => {
    const { cart, MAX_QUANTITY } = loadPage();
    cart.add(teapot, MAX_QUANTITY - 1);
    cart.add(teapot, 5);
    expect(cart.lines()[0].quantity).toBe(MAX_QUANTITY);
    cart.setQuantity('p-teapot', 1000);
    expect(cart.lines()[0].quantity).toBe(MAX_QUANTITY);
  });

  test('a quantity of 0 or less removes the line; the others stay', () => {
    const { cart } = loadPage();
    cart.add(teapot);
    cart.add(kettle);
    cart.setQuantity('p-teapot', 0);
    expect(quantities(cart.lines())).toEqual({ Kettle: 1 });
    cart.setQuantity('p-kettle', -3);
    expect(cart.lines()).toEqual([]);
  });

  test('the cart survives a reload, and clearing it (an order placed) empties it for the next load too', () => {
    const first = loadPage();
    first.cart.add(teapot, 2);
    first.cart.add(kettle);
    const reloaded = loadPage();
    expect(reloaded.cart.lines()).toEqual(first.cart.lines());
    reloaded.cart.clear();
    expect(loadPage().cart.lines()).toEqual([]);
  });

  test.each(['{not json', '{"p-teapot":2}'])('a stored cart that is not a list (%s) starts an empty cart instead of breaking the page', (stored) => {
    localStorage.setItem('dorandoran.cart', stored);
    const { cart } = loadPage();
    expect(cart.lines()).toEqual([]);
    cart.add(kettle);
    expect(quantities(loadPage().cart.lines())).toEqual({ Kettle: 1 });
  });

  test('subscribers hear every change, and stop hearing once unsubscribed', () => {
    const { cart } = loadPage();
    const heard: number[] = [];
    const unsubscribe = cart.subscribe(() => heard.push(cart.lines().length));
    cart.add(teapot);
    cart.add(kettle);
    cart.setQuantity('p-teapot', 0);
    unsubscribe();
    cart.clear();
    expect(heard).toEqual([1, 2, 1]);
  });
});
