import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import {
  CANCEL_ORDER,
  COMPLETE_ORDER,
  ORDER,
  ORDER_FIELDS,
  PLACE_ORDER,
  SHIP_ORDER,
  placeOrder,
  startHarness,
  trusted,
  type Person,
  type StoreHarness,
} from '../helpers/harness';

let h: StoreHarness;
let admin: Person;
let alice: Person;
let bob: Person;
beforeAll(async () => {
  h = await startHarness();
  admin = await h.admin();
  [alice, bob] = [await h.person(), await h.person()];
});
afterAll(() => h?.close());

/** The router without a signed-in user. */
const anonymous = (query: string, variables: Record<string, unknown> = {}) => h.gql(query, variables);

const PRODUCT = 'query($id: ID!) { product(id: $id) { name price { amount } stock active } }';
/** A product's stock as anyone reads it (through the router, no token). */
async function stockOf(productId: string): Promise<number> {
  const response = await anonymous(PRODUCT, { id: productId });
  expect(response.errors).toBeUndefined();
  return response.data!.product.stock;
}

const UPDATE_PRODUCT = 'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }';
async function updateProduct(id: string, input: Record<string, unknown>) {
  const response = await h.gql(UPDATE_PRODUCT, { id, input }, admin);
  expect(response.errors).toBeUndefined();
}

const place = (buyer: Person, items: { productId: string; quantity: number }[], idempotencyKey: string = randomUUID()) =>
  h.gql(PLACE_ORDER, { input: { items, idempotencyKey } }, buyer);

function expectError(response: GraphQLResponse, code: string, extensions: Record<string, unknown> = {}) {
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0].extensions).toMatchObject({ code, ...extensions });
  return response.errors![0].message;
}

type Item = { product: { id: string } };
const sortItems = <T extends Item>(items: T[]) => [...items].sort((a, b) => a.product.id.localeCompare(b.product.id));

const MY_ORDERS = `query($first: Int, $after: String) {
  myOrders(first: $first, after: $after) { edges { cursor node { id status } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
}`;
const ALL_ORDERS = 'query($first: Int, $status: OrderStatus) { orders(first: $first, status: $status) { edges { node { id status buyer { id } } } } }';

async function myOrderIds(buyer: Person): Promise<string[]> {
  const response = await h.gql(MY_ORDERS, { first: 100 }, buyer);
  expect(response.errors).toBeUndefined();
  return response.data!.myOrders.edges.map((edge: { node: { id: string } }) => edge.node.id);
}

describe('placeOrder', () => {
  test('prices come from the server: unit prices, subtotals and total; the order starts PENDING_PAYMENT, its history says the buyer placed it, and the stock is reserved', async () => {
    const tea = await h.product({ name: 'Tea', price: 1500, stock: 10 });
    const cake = await h.product({ name: 'Cake', price: 2300, stock: 5 });
    const buyer = await h.person();
    const response = await place(buyer, [
      { productId: cake, quantity: 3 },
      { productId: tea, quantity: 2 },
    ]);
    expect(response.errors).toBeUndefined();
    const order = response.data!.placeOrder;
    expect(order).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'PENDING_PAYMENT',
      total: { amount: 2 * 1500 + 3 * 2300, currency: 'KRW' },
      payment: null,
      buyer: { id: buyer.id },
      history: [{ from: null, to: 'PENDING_PAYMENT', actorRole: 'BUYER', actor: { id: buyer.id }, reason: null }],
    });
    expect(sortItems(order.items)).toEqual(
      sortItems([
        { productName: 'Tea', quantity: 2, unitPrice: { amount: 1500 }, subtotal: { amount: 3000 }, product: { id: tea } },
        { productName: 'Cake', quantity: 3, unitPrice: { amount: 2300 }, subtotal: { amount: 6900 }, product: { id: cake } },
      ]),
    );
    expect([await stockOf(tea), await stockOf(cake)]).toEqual([8, 2]);
    // Read back, the order is the same.
    const read = await h.gql(ORDER, { id: order.id }, buyer);
    expect({ ...read.data!.order, items: sortItems(read.data!.order.items) }).toEqual({ ...order, items: sortItems(order.items) });
  });

  test('a client cannot send a price: an item with one is refused by GraphQL and nothing is reserved', async () => {
    const product = await h.product({ price: 5000, stock: 3 });
    const response = await h.gql(PLACE_ORDER, { input: { items: [{ productId: product, quantity: 1, unitPrice: 1 }], idempotencyKey: randomUUID() } }, alice);
    expect(response.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(response.errors![0].message).toMatch(/unitPrice/);
    expect(await stockOf(product)).toBe(3);
  });

  test('a price or name change afterwards does not change the order', async () => {
    const product = await h.product({ name: 'Before', price: 1000, stock: 10 });
    const order = await placeOrder(h, alice, [{ productId: product, quantity: 3 }]);
    await updateProduct(product, { name: 'After', price: 9999 });
    const read = await h.gql(ORDER, { id: order.id }, alice);
    expect(read.data!.order).toMatchObject({
      total: { amount: 3000, currency: 'KRW' },
      items: [{ productName: 'Before', quantity: 3, unitPrice: { amount: 1000 }, subtotal: { amount: 3000 }, product: { id: product } }],
    });
    // A new order pays the new price.
    const later = await placeOrder(h, alice, [{ productId: product, quantity: 1 }]);
    expect(later.items[0]).toMatchObject({ productName: 'After', unitPrice: { amount: 9999 } });
    expect(later.total.amount).toBe(9999);
  });

  test('an order whose total is over the Int limit → BAD_USER_INPUT on items, nothing reserved', async () => {
    const dear = await h.product({ price: 2 ** 31 - 1, stock: 5 });
    const message = expectError(await place(alice, [{ productId: dear, quantity: 2 }]), 'BAD_USER_INPUT', { field: 'items' });
    expect(message).toMatch(/total/);
    expect(await stockOf(dear)).toBe(5);
  });

  test('anonymous (router secret, no token) → UNAUTHENTICATED', async () => {
    const product = await h.product({ stock: 2 });
    const response = await anonymous(PLACE_ORDER, { input: { items: [{ productId: product, quantity: 1 }], idempotencyKey: randomUUID() } });
    expectError(response, 'UNAUTHENTICATED');
    expect(await stockOf(product)).toBe(2);
  });
});

describe('idempotencyKey', () => {
  test('the same key from the same buyer returns the same order and reserves once, also with the lines in another order', async () => {
    const a = await h.product({ stock: 10 });
    const b = await h.product({ stock: 10 });
    const buyer = await h.person();
    const key = randomUUID();
    const items = [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 1 },
    ];
    const first = await placeOrder(h, buyer, items, key);
    const retry = await placeOrder(h, buyer, items, key);
    const reordered = await placeOrder(h, buyer, [...items].reverse(), key);
    const uppercase = await placeOrder(h, buyer, items.map((item) => ({ ...item, productId: item.productId.toUpperCase() })), key);
    for (const again of [retry, reordered, uppercase]) expect({ ...again, items: sortItems(again.items) }).toEqual({ ...first, items: sortItems(first.items) });
    expect([await stockOf(a), await stockOf(b)]).toEqual([8, 9]);
    expect(await myOrderIds(buyer)).toEqual([first.id]);
  });

  test('ten concurrent retries with one key make one order and reserve once', async () => {
    const product = await h.product({ stock: 20 });
    const buyer = await h.person();
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 10 }, () => place(buyer, [{ productId: product, quantity: 2 }], key)));
    for (const response of responses) expect(response.errors).toBeUndefined();
    expect(new Set(responses.map((response) => response.data!.placeOrder.id)).size).toBe(1);
    expect(await stockOf(product)).toBe(18);
    expect(await myOrderIds(buyer)).toHaveLength(1);
  });

  test('a retry after the last unit was taken (or the product was withdrawn) still returns the order', async () => {
    const product = await h.product({ stock: 1 });
    const buyer = await h.person();
    const key = randomUUID();
    const first = await placeOrder(h, buyer, [{ productId: product, quantity: 1 }], key);
    expect(await stockOf(product)).toBe(0);
    expect((await placeOrder(h, buyer, [{ productId: product, quantity: 1 }], key)).id).toBe(first.id);
    await updateProduct(product, { active: false });
    expect((await placeOrder(h, buyer, [{ productId: product, quantity: 1 }], key)).id).toBe(first.id);
  });

  test('another buyer using the same key gets an order of their own', async () => {
    const product = await h.product({ stock: 10 });
    const key = randomUUID();
    const [one, two] = [await h.person(), await h.person()];
    const first = await placeOrder(h, one, [{ productId: product, quantity: 1 }], key);
    const second = await placeOrder(h, two, [{ productId: product, quantity: 1 }], key);
    expect(second.id).not.toBe(first.id);
    expect(second.buyer).toEqual({ id: two.id });
    expect(await stockOf(product)).toBe(8);
  });

  test('the same key with different items → CONFLICT naming the key and the first order; nothing more is reserved', async () => {
    const a = await h.product({ stock: 10 });
    const b = await h.product({ stock: 10 });
    const buyer = await h.person();
    const key = randomUUID();
    const first = await placeOrder(h, buyer, [{ productId: a, quantity: 1 }], key);
    for (const items of [
      [{ productId: a, quantity: 2 }],
      [{ productId: b, quantity: 1 }],
      [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 1 },
      ],
    ]) {
      const message = expectError(await place(buyer, items, key), 'CONFLICT');
      expect(message).toMatch(/idempotencyKey was already used for another order/);
      // No ids in words a person reads.
      expect(message).not.toContain(first.id);
    }
    expect([await stockOf(a), await stockOf(b)]).toEqual([9, 10]);
    expect(await myOrderIds(buyer)).toEqual([first.id]);
  });
});

describe('stock', () => {
  test('50 concurrent orders of one unit for a product with stock 10: exactly 10 are placed, 40 get CONFLICT naming the product, stock ends at 0', async () => {
    const product = await h.product({ name: 'Scarce', stock: 10 });
    const buyers = await Promise.all(Array.from({ length: 5 }, () => h.person()));
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => place(buyers[i % buyers.length], [{ productId: product, quantity: 1 }])));
    const placed = responses.filter((response) => response.data?.placeOrder);
    const refused = responses.filter((response) => response.errors);
    expect(placed).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(new Set(placed.map((response) => response.data!.placeOrder.id)).size).toBe(10);
    for (const response of refused) {
      const message = expectError(response, 'CONFLICT', { productId: product, available: 0 });
      // The product by name in the message; its id only in extensions (a person reads the message).
      expect(message).toBe('"Scarce" is sold out; the order asked for 1. Nothing was reserved: lower the quantity and order again.');
    }
    expect(await stockOf(product)).toBe(0);
    const perBuyer = await Promise.all(buyers.map(myOrderIds));
    expect(perBuyer.flat().sort()).toEqual(placed.map((response) => response.data!.placeOrder.id).sort());
  });

  test('20 concurrent two-line orders, half listing the products one way and half the other: all placed, no deadlock, stock taken 20 times', async () => {
    const first = await h.product({ name: 'Left', stock: 50 });
    const second = await h.product({ name: 'Right', stock: 50 });
    const buyers = await Promise.all(Array.from({ length: 4 }, () => h.person()));
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const lines = [
          { productId: first, quantity: 1 },
          { productId: second, quantity: 1 },
        ];
        return place(buyers[i % buyers.length], i % 2 ? lines.reverse() : lines);
      }),
    );
    expect(responses.flatMap((response) => response.errors ?? [])).toEqual([]);
    expect([await stockOf(first), await stockOf(second)]).toEqual([30, 30]);
  });

  test('an order of two lines where one lacks stock fails as a whole: CONFLICT naming that product, nothing reserved, no order', async () => {
    // Made first, so its row is reserved first: the failure comes after it was taken and must undo it.
    const plenty = await h.product({ name: 'Plenty', stock: 10 });
    const scarce = await h.product({ name: 'Short', stock: 1 });
    const buyer = await h.person();
    for (const items of [
      [
        { productId: plenty, quantity: 3 },
        { productId: scarce, quantity: 2 },
      ],
      [
        { productId: scarce, quantity: 2 },
        { productId: plenty, quantity: 3 },
      ],
    ]) {
      const message = expectError(await place(buyer, items), 'CONFLICT', { productId: scarce, available: 1 });
      expect(message).toMatch(/^Only 1 of "Short" is left; the order asked for 2\./);
      expect(message).not.toContain(scarce);
      expect(message).toMatch(/Nothing was reserved/);
    }
    expect([await stockOf(plenty), await stockOf(scarce)]).toEqual([10, 1]);
    expect(await myOrderIds(buyer)).toEqual([]);
    // The key was not used up: the same key with an order that fits goes through.
    const key = randomUUID();
    expectError(await place(buyer, [{ productId: scarce, quantity: 2 }], key), 'CONFLICT');
    expect((await placeOrder(h, buyer, [{ productId: scarce, quantity: 1 }], key)).status).toBe('PENDING_PAYMENT');
    expect(await stockOf(scarce)).toBe(0);
  });

  test('an inactive product → BAD_USER_INPUT on items naming it; the other lines are not reserved', async () => {
    const fine = await h.product({ stock: 5 });
    const retired = await h.product({ name: 'Retired', stock: 5, active: false });
    const message = expectError(
      await place(alice, [
        { productId: fine, quantity: 1 },
        { productId: retired, quantity: 1 },
      ]),
      'BAD_USER_INPUT',
      { field: 'items' },
    );
    expect(message).toBe('"Retired" is no longer for sale; remove it from your cart.');
    expect([await stockOf(fine), await stockOf(retired)]).toEqual([5, 5]);
  });

  test('a product made inactive after an order was placed cannot be ordered again', async () => {
    const product = await h.product({ stock: 5 });
    await placeOrder(h, alice, [{ productId: product, quantity: 1 }]);
    await updateProduct(product, { active: false });
    expectError(await place(alice, [{ productId: product, quantity: 1 }]), 'BAD_USER_INPUT', { field: 'items' });
    expect(await stockOf(product)).toBe(4);
  });

  test('an unknown product id → BAD_USER_INPUT on items naming the id; the other lines are not reserved', async () => {
    const fine = await h.product({ stock: 5 });
    const unknown = uuidv7();
    const message = expectError(
      await place(alice, [
        { productId: fine, quantity: 1 },
        { productId: unknown, quantity: 1 },
      ]),
      'BAD_USER_INPUT',
      { field: 'items', productId: unknown },
    );
    expect(message).toMatch(/not in the store any more/);
    expect(message).not.toContain(unknown);
    expect(await stockOf(fine)).toBe(5);
  });
});

describe('malformed orders → BAD_USER_INPUT with the field to fix, nothing reserved', () => {
  let product: string;
  let other: string;
  beforeAll(async () => {
    product = await h.product({ stock: 200 });
    other = await h.product({ stock: 200 });
  });

  const line = (productId: string, quantity = 1) => ({ productId, quantity });
  test.each<[string, () => { productId: string; quantity: number }[], string, RegExp]>([
    ['no lines', () => [], 'items', /1 to 50 lines.*has 0/],
    ['51 lines', () => [line(product), ...Array.from({ length: 50 }, () => line(uuidv7()))], 'items', /1 to 50 lines.*has 51/],
    ['quantity 0', () => [line(product, 0)], 'items', /quantity on line 1 .*whole number from 1 to 99; it is 0/],
    ['quantity 100', () => [line(product, 100)], 'items', /quantity on line 1 .*whole number from 1 to 99; it is 100/],
    ['a negative quantity', () => [line(product, -1)], 'items', /quantity/],
    ['the same product on two lines', () => [line(product), line(other), line(product, 2)], 'items', /^Line 3 repeats a product/],
    ['the same product on two lines, once in capitals', () => [line(product), line(product.toUpperCase())], 'items', /^Line 2 repeats a product/],
    ['a productId that is not a UUID', () => [line(product), line('tea')], 'items', /^Line 2 does not name a product/],
  ])('%s → on items', async (_name, items, field, message) => {
    const response = await place(alice, items());
    expect(expectError(response, 'BAD_USER_INPUT', { field })).toMatch(message);
    expect(response.data).toBeNull();
    expect([await stockOf(product), await stockOf(other)]).toEqual([200, 200]);
  });

  test.each([
    ['an empty idempotencyKey', ''],
    ['a 101-character idempotencyKey', 'k'.repeat(101)],
  ])('%s → on idempotencyKey', async (_name, key) => {
    const response = await place(alice, [line(product)], key);
    expect(expectError(response, 'BAD_USER_INPUT', { field: 'idempotencyKey' })).toMatch(/1 to 100/);
    expect(await stockOf(product)).toBe(200);
  });

  test('the limits themselves are fine: 50 lines, quantity 99, a 100-character key', async () => {
    const products = [];
    for (let i = 0; i < 50; i++) products.push(await h.product({ price: 10, stock: 99 }));
    const buyer = await h.person();
    const response = await place(buyer, products.map((id) => line(id, 99)), 'k'.repeat(100));
    expect(response.errors).toBeUndefined();
    const order = response.data!.placeOrder;
    expect(order.items).toHaveLength(50);
    expect(order.total.amount).toBe(50 * 99 * 10);
    expect(await stockOf(products[49])).toBe(0);
  });
});

describe('reading orders', () => {
  test('a buyer reading another buyer\'s order gets null and FORBIDDEN; an unknown id looks the same', async () => {
    const product = await h.product();
    const order = await placeOrder(h, alice, [{ productId: product, quantity: 1 }]);
    for (const id of [order.id, uuidv7(), 'not-an-order']) {
      const response = await h.gql(ORDER, { id }, bob);
      expect(response.data).toEqual({ order: null });
      expect(expectError(response, 'FORBIDDEN')).toContain(id);
    }
    expectError(await anonymous(ORDER, { id: order.id }), 'UNAUTHENTICATED');
  });

  test('an administrator reads any order', async () => {
    const product = await h.product({ price: 4200 });
    const order = await placeOrder(h, alice, [{ productId: product, quantity: 1 }]);
    const response = await h.gql(ORDER, { id: order.id }, admin);
    expect(response.errors).toBeUndefined();
    expect(response.data!.order).toMatchObject({ id: order.id, buyer: { id: alice.id }, total: { amount: 4200 } });
  });

  test('myOrders lists only the caller\'s orders, newest first, each once across pages', async () => {
    const product = await h.product({ stock: 50 });
    const [me, someoneElse] = [await h.person(), await h.person()];
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      mine.push((await placeOrder(h, me, [{ productId: product, quantity: 1 }])).id);
      await placeOrder(h, someoneElse, [{ productId: product, quantity: 1 }]);
    }
    const pages: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const response: GraphQLResponse = await h.gql(MY_ORDERS, { first: 2, after }, me);
      expect(response.errors).toBeUndefined();
      const { edges, pageInfo } = response.data!.myOrders;
      pages.push(edges.map((edge: { node: { id: string } }) => edge.node.id));
      expect(pageInfo.hasPreviousPage).toBe(after !== null);
      expect(pageInfo.endCursor).toBe(edges[edges.length - 1].cursor);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(pages).toEqual([
      [mine[4], mine[3]],
      [mine[2], mine[1]],
      [mine[0]],
    ]);
    expect(await myOrderIds(someoneElse)).not.toContain(mine[0]);
  });

  test('myOrders: a cursor from another list or none at all → BAD_USER_INPUT on after; first over 100 → on first; no token → UNAUTHENTICATED', async () => {
    const productCursor = Buffer.from(`product:${uuidv7()}`).toString('base64url');
    for (const after of ['garbage', productCursor]) expectError(await h.gql(MY_ORDERS, { after }, alice), 'BAD_USER_INPUT', { field: 'after' });
    expectError(await h.gql(MY_ORDERS, { first: 101 }, alice), 'BAD_USER_INPUT', { field: 'first' });
    expectError(await anonymous(MY_ORDERS), 'UNAUTHENTICATED');
  });

  test('orders(status:) lists every buyer\'s orders in that status for an administrator, newest first', async () => {
    const product = await h.product({ stock: 20 });
    const kept = await placeOrder(h, alice, [{ productId: product, quantity: 1 }]);
    const cancelledByAlice = await placeOrder(h, alice, [{ productId: product, quantity: 1 }]);
    const cancelledByBob = await placeOrder(h, bob, [{ productId: product, quantity: 1 }]);
    for (const [order, buyer] of [
      [cancelledByAlice, alice],
      [cancelledByBob, bob],
    ] as const) {
      expect((await h.gql(CANCEL_ORDER, { id: order.id }, buyer)).errors).toBeUndefined();
    }
    const cancelled = await h.gql(ALL_ORDERS, { first: 100, status: 'CANCELLED' }, admin);
    expect(cancelled.errors).toBeUndefined();
    const nodes = cancelled.data!.orders.edges.map((edge: { node: unknown }) => edge.node);
    expect(nodes.slice(0, 2)).toEqual([
      { id: cancelledByBob.id, status: 'CANCELLED', buyer: { id: bob.id } },
      { id: cancelledByAlice.id, status: 'CANCELLED', buyer: { id: alice.id } },
    ]);
    expect(nodes.every((node: { status: string }) => node.status === 'CANCELLED')).toBe(true);
    const pending = await h.gql(ALL_ORDERS, { first: 100, status: 'PENDING_PAYMENT' }, admin);
    const pendingIds = pending.data!.orders.edges.map((edge: { node: { id: string } }) => edge.node.id);
    expect(pendingIds[0]).toBe(kept.id);
    expect(pendingIds).not.toContain(cancelledByAlice.id);
    const all = await h.gql(ALL_ORDERS, { first: 3 }, admin);
    expect(all.data!.orders.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([cancelledByBob.id, cancelledByAlice.id, kept.id]);
  });

  test('orders for a buyer → FORBIDDEN; without a token → UNAUTHENTICATED', async () => {
    const response = await h.gql(ALL_ORDERS, { status: 'PENDING_PAYMENT' }, alice);
    expect(expectError(response, 'FORBIDDEN')).toMatch(/administrators/);
    expect(response.data).toEqual({ orders: null });
    expectError(await anonymous(ALL_ORDERS), 'UNAUTHENTICATED');
  });
});

describe('_entities (the router fetching store fields)', () => {
  const USER_ORDERS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id orders(first: 10) { edges { node { id status total { amount } } } } } } }`;
  const ORDER_ENTITY = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { ${ORDER_FIELDS} } } }`;
  const asRouter = (query: string, variables: Record<string, unknown>, person?: Person) =>
    post(h.store.url, query, variables, { ...trusted, ...(person?.headers ?? {}) });

  test('User.orders for the signed-in user themself: their orders, newest first', async () => {
    const product = await h.product({ price: 700 });
    const buyer = await h.person();
    const first = await placeOrder(h, buyer, [{ productId: product, quantity: 1 }]);
    const second = await placeOrder(h, buyer, [{ productId: product, quantity: 2 }]);
    const response = await asRouter(USER_ORDERS, { r: [{ __typename: 'User', id: buyer.id }] }, buyer);
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([
      {
        id: buyer.id,
        orders: {
          edges: [
            { node: { id: second.id, status: 'PENDING_PAYMENT', total: { amount: 1400 } } },
            { node: { id: first.id, status: 'PENDING_PAYMENT', total: { amount: 700 } } },
          ],
        },
      },
    ]);
  });

  test('User.orders of another user → FORBIDDEN; an administrator may', async () => {
    const product = await h.product();
    const order = await placeOrder(h, alice, [{ productId: product, quantity: 1 }]);
    const refused = await asRouter(USER_ORDERS, { r: [{ __typename: 'User', id: alice.id }] }, bob);
    expect(expectError(refused, 'FORBIDDEN')).toMatch(/themself and administrators/);
    expect(refused.data!._entities).toEqual([null]);
    const anonymousRouter = await asRouter(USER_ORDERS, { r: [{ __typename: 'User', id: alice.id }] });
    expectError(anonymousRouter, 'UNAUTHENTICATED');
    const asAdmin = await asRouter(USER_ORDERS, { r: [{ __typename: 'User', id: alice.id }] }, admin);
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data!._entities[0].orders.edges[0].node.id).toBe(order.id);
  });

  test('an Order entity is the buyer\'s and administrators\' only', async () => {
    const product = await h.product();
    const order = await placeOrder(h, alice, [{ productId: product, quantity: 1 }]);
    const representations = { r: [{ __typename: 'Order', id: order.id }] };
    const own = await asRouter(ORDER_ENTITY, representations, alice);
    expect(own.errors).toBeUndefined();
    expect(own.data!._entities[0]).toMatchObject({ id: order.id, buyer: { id: alice.id } });
    const refused = await asRouter(ORDER_ENTITY, representations, bob);
    expect(refused.errors!.length).toBeGreaterThan(0);
    expect(refused.errors!.every((error) => error.extensions!.code === 'FORBIDDEN')).toBe(true);
    expect(refused.data!._entities).toEqual([null]);
  });
});

describe('status changes', () => {
  async function pendingOrder(buyer: Person, stock = 5, quantity = 2) {
    const product = await h.product({ stock });
    const order = await placeOrder(h, buyer, [{ productId: product, quantity }]);
    return { product, order };
  }

  test.each([
    ['shipOrder', SHIP_ORDER, 'SHIPPED'],
    ['completeOrder', COMPLETE_ORDER, 'COMPLETED'],
  ])('%s on a PENDING_PAYMENT order → CONFLICT naming its status; the order is unchanged', async (_name, mutation, to) => {
    const { order } = await pendingOrder(alice);
    const message = expectError(await h.gql(mutation, { id: order.id }, admin), 'CONFLICT', { status: 'PENDING_PAYMENT', requested: to });
    expect(message).toBe(`This order is awaiting payment, so it cannot ${to === 'SHIPPED' ? 'be shipped' : 'be marked delivered'}. It can be paid or fail payment or be cancelled.`);
    const read = await h.gql(ORDER, { id: order.id }, alice);
    expect(read.data!.order).toMatchObject({ status: 'PENDING_PAYMENT', history: [{ to: 'PENDING_PAYMENT' }] });
  });

  test.each([
    ['shipOrder', SHIP_ORDER],
    ['completeOrder', COMPLETE_ORDER],
  ])('%s by the buyer → FORBIDDEN', async (_name, mutation) => {
    const { order } = await pendingOrder(alice);
    expect(expectError(await h.gql(mutation, { id: order.id }, alice), 'FORBIDDEN')).toMatch(/administrators/);
  });

  test('shipOrder of an unknown order → NOT_FOUND', async () => {
    const id = uuidv7();
    expect(expectError(await h.gql(SHIP_ORDER, { id }, admin), 'NOT_FOUND')).toContain(id);
  });

  test('the buyer cancels a PENDING_PAYMENT order: CANCELLED, stock released, history records who, when and why', async () => {
    const { product, order } = await pendingOrder(alice, 5, 2);
    expect(await stockOf(product)).toBe(3);
    const response = await h.gql(CANCEL_ORDER, { id: order.id, reason: '  Changed my mind  ' }, alice);
    expect(response.errors).toBeUndefined();
    expect(response.data!.cancelOrder).toMatchObject({
      id: order.id,
      status: 'CANCELLED',
      payment: null,
      history: [
        { from: null, to: 'PENDING_PAYMENT', actorRole: 'BUYER', actor: { id: alice.id }, reason: null },
        { from: 'PENDING_PAYMENT', to: 'CANCELLED', actorRole: 'BUYER', actor: { id: alice.id }, reason: 'Changed my mind' },
      ],
    });
    expect(await stockOf(product)).toBe(5);
    expect((await h.gql(ORDER, { id: order.id }, alice)).data!.order).toEqual(response.data!.cancelOrder);
  });

  test('cancelling it again → CONFLICT saying it is CANCELLED; the stock is not released twice', async () => {
    const { product, order } = await pendingOrder(alice, 5, 2);
    await h.gql(CANCEL_ORDER, { id: order.id }, alice);
    // Someone else reserves what came back, so a second release would show.
    await placeOrder(h, bob, [{ productId: product, quantity: 1 }]);
    const message = expectError(await h.gql(CANCEL_ORDER, { id: order.id }, alice), 'CONFLICT');
    expect(message).toBe('This order has been cancelled, so it can no longer be cancelled.');
    expect(await stockOf(product)).toBe(4);
    const read = await h.gql(ORDER, { id: order.id }, alice);
    expect(read.data!.order.history).toHaveLength(2);
  });

  test('five concurrent cancellations (buyer and administrator): one wins, the others get CONFLICT, the stock comes back once', async () => {
    const { product, order } = await pendingOrder(alice, 5, 2);
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => h.gql(CANCEL_ORDER, { id: order.id }, i % 2 ? admin : alice)));
    expect(responses.filter((response) => response.data?.cancelOrder?.status === 'CANCELLED')).toHaveLength(1);
    for (const response of responses.filter((r) => r.errors)) expect(expectError(response, 'CONFLICT')).toContain('has been cancelled');
    expect(await stockOf(product)).toBe(5);
    expect((await h.gql(ORDER, { id: order.id }, alice)).data!.order.history).toHaveLength(2);
  });

  test('another user cancelling → FORBIDDEN; the order stays PENDING_PAYMENT with its stock reserved', async () => {
    const { product, order } = await pendingOrder(alice, 5, 2);
    const response = await h.gql(CANCEL_ORDER, { id: order.id, reason: 'mine now' }, bob);
    expect(response.data).toBeNull();
    expect(expectError(response, 'FORBIDDEN')).toContain(order.id);
    expect((await h.gql(ORDER, { id: order.id }, alice)).data!.order.status).toBe('PENDING_PAYMENT');
    expect(await stockOf(product)).toBe(3);
    expectError(await anonymous(CANCEL_ORDER, { id: order.id }), 'UNAUTHENTICATED');
  });

  test('an administrator cancels a buyer\'s order: recorded as ADMIN', async () => {
    const { product, order } = await pendingOrder(alice, 5, 2);
    const response = await h.gql(CANCEL_ORDER, { id: order.id, reason: 'Out of season' }, admin);
    expect(response.errors).toBeUndefined();
    expect(response.data!.cancelOrder.history[1]).toEqual({
      from: 'PENDING_PAYMENT',
      to: 'CANCELLED',
      actorRole: 'ADMIN',
      actor: { id: admin.id },
      reason: 'Out of season',
    });
    expect(await stockOf(product)).toBe(5);
  });

  test('a reason over 500 characters → BAD_USER_INPUT on reason, nothing changes', async () => {
    const { product, order } = await pendingOrder(alice, 5, 2);
    expectError(await h.gql(CANCEL_ORDER, { id: order.id, reason: 'r'.repeat(501) }, alice), 'BAD_USER_INPUT', { field: 'reason' });
    expect((await h.gql(ORDER, { id: order.id }, alice)).data!.order.status).toBe('PENDING_PAYMENT');
    expect(await stockOf(product)).toBe(3);
  });
});

test('items come back in the order the client listed them, whatever their product ids', async () => {
  const ids = [await h.product(), await h.product(), await h.product()].reverse();
  const order = await placeOrder(h, alice, ids.map((productId, i) => ({ productId, quantity: i + 1 })));
  expect(order.items.map((item: { product: { id: string }; quantity: number }) => [item.product.id, item.quantity])).toEqual(ids.map((id, i) => [id, i + 1]));
});
