import { randomUUID } from 'node:crypto';
import type { Client, ExecutionResult } from 'graphql-ws';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';
import { eventually, health, within, wsClient } from '@dorandoran/test-support/ws';

/** The shop's additions through the router: product pictures, delivery addresses, live stock for anyone. */

let stack: Stack;
let buyer: SignedIn;
let other: SignedIn;
let admin: SignedIn;
const clients: Client[] = [];
beforeAll(async () => {
  stack = await startStack();
  [buyer, other, admin] = [await signUp(stack, { nickname: 'Buyer Park' }), await signUp(stack, { nickname: 'Other Lee' }), await signUpAdmin(stack)];
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(() => stack?.close());

const gql = (query: string, variables: Record<string, unknown> = {}, person?: SignedIn): Promise<GraphQLResponse> =>
  post(stack.routerUrl, query, variables, person?.headers ?? {});
const origin = () => new URL(stack.routerUrl).origin;

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const SET_IMAGE = 'mutation($id: ID!, $image: ProductImageInput) { setProductImage(productId: $id, image: $image) { imageUrl } }';
const ADDRESS = { recipient: 'Park Jisoo', phone: '+82 10 9876 5432', postalCode: '06236', line1: '152 Teheran-ro, Gangnam-gu, Seoul', line2: null };

async function createProduct(name: string, stock: number) {
  const response = await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { name, price: 9000, stock } }, admin);
  if (!response.data?.createProduct) throw new Error(JSON.stringify(response.errors));
  return response.data.createProduct.id as string;
}

describe('product pictures through the router', () => {
  test('an administrator attaches one; anyone loads it from the router, cacheable for a year, nosniff', async () => {
    const productId = await createProduct('Celadon cup', 3);
    const set = await gql(SET_IMAGE, { id: productId, image: { contentType: 'image/png', base64: PNG.toString('base64') } }, admin);
    expect(set.errors).toBeUndefined();
    const url: string = set.data!.setProductImage.imageUrl;
    const anonymous = await gql('query($id: ID!) { product(id: $id) { imageUrl } }', { id: productId });
    expect(anonymous.data!.product.imageUrl).toBe(url);
    const image = await fetch(new URL(url, origin()));
    expect(image.status).toBe(200);
    expect([image.headers.get('content-type'), image.headers.get('cache-control'), image.headers.get('x-content-type-options')]).toEqual([
      'image/png',
      'public, max-age=31536000, immutable',
      'nosniff',
    ]);
    expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true);
  });

  test('a buyer cannot attach one (the router refuses the admin-only field; the store itself would say FORBIDDEN); a body over the router limit is 413', async () => {
    const productId = await createProduct('Celadon bowl', 3);
    const refused = await gql(SET_IMAGE, { id: productId, image: { contentType: 'image/png', base64: PNG.toString('base64') } }, buyer);
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' }, path: ['setProductImage'] });
    const huge = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin.headers },
      body: JSON.stringify({ query: SET_IMAGE, variables: { id: productId, image: { contentType: 'image/png', base64: 'A'.repeat(300 * 1024) } } }),
    });
    expect(huge.status).toBe(413);
    expect((await gql('query($id: ID!) { product(id: $id) { imageUrl } }', { id: productId })).data!.product.imageUrl).toBeNull();
  });
});

describe('delivery addresses through the router', () => {
  test('the buyer and administrators read an order\'s address; another signed-in person reads neither the order nor its address', async () => {
    const productId = await createProduct('Tea tray', 4);
    const placed = await gql(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id shippingAddress { recipient phone postalCode line1 line2 } } }',
      { input: { items: [{ productId, quantity: 1 }], idempotencyKey: randomUUID(), shippingAddress: ADDRESS } },
      buyer,
    );
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeOrder.shippingAddress).toEqual(ADDRESS);
    const orderId = placed.data!.placeOrder.id;
    const query = 'query($id: ID!) { order(id: $id) { id shippingAddress { recipient line1 } } }';
    expect((await gql(query, { id: orderId }, admin)).data!.order.shippingAddress.recipient).toBe('Park Jisoo');
    const list = await gql('{ orders(first: 5) { edges { node { id shippingAddress { recipient } } } } }', {}, admin);
    expect(list.data!.orders.edges.map((edge: { node: { id: string } }) => edge.node)).toContainEqual({ id: orderId, shippingAddress: { recipient: 'Park Jisoo' } });
    const stranger = await gql(query, { id: orderId }, other);
    expect(stranger.data?.order ?? null).toBeNull();
    expect(stranger.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(stranger)).not.toContain('Park Jisoo');
    const anonymous = await gql(query, { id: orderId });
    expect(JSON.stringify(anonymous)).not.toContain('Park Jisoo');
  });

  test('an address too long or missing a field → BAD_USER_INPUT naming it, with what to fix', async () => {
    const productId = await createProduct('Tea scoop', 4);
    const place = (shippingAddress: Record<string, unknown>) =>
      gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId, quantity: 1 }], idempotencyKey: randomUUID(), shippingAddress } }, buyer);
    const long = await place({ ...ADDRESS, line1: '가'.repeat(101) });
    expect(long.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'shippingAddress.line1' }, message: 'The street address takes at most 100 characters; this one has 101.' });
    const blank = await place({ ...ADDRESS, phone: ' ' });
    expect(blank.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'shippingAddress.phone' }, message: 'The phone number is missing; fill it in.' });
  });
});

describe('productChanged through the router', () => {
  type Changed = ExecutionResult<{ productChanged: { id: string; stock: number } }>;

  test('an anonymous client follows stock: an order takes the last one, a cancellation brings it back', async () => {
    const productId = await createProduct('Last kettle', 1);
    const client = wsClient(stack.routerUrl);
    clients.push(client);
    const before = (await health<{ subscriptions: number }>(stack.storeUrl)).subscriptions;
    const events = client.iterate({ query: 'subscription($ids: [ID!]!) { productChanged(ids: $ids) { id stock } }', variables: { ids: [productId] } });
    const first = events.next();
    await eventually(async () => (await health<{ subscriptions: number }>(stack.storeUrl)).subscriptions > before, 'the store serves the subscription');
    const placed = await gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() } }, buyer);
    expect(((await within(first)).value as Changed).data!.productChanged).toEqual({ id: productId, stock: 0 });
    await gql('mutation($id: ID!) { cancelOrder(orderId: $id) { status } }', { id: placed.data!.placeOrder.id }, buyer);
    expect(((await within(events.next())).value as Changed).data!.productChanged.stock).toBe(1);
  });

  test('more than 100 ids → BAD_USER_INPUT for that subscription only', async () => {
    const client = wsClient(stack.routerUrl);
    clients.push(client);
    const ids = Array.from({ length: 101 }, () => randomUUID());
    const events = client.iterate({ query: 'subscription($ids: [ID!]!) { productChanged(ids: $ids) { id } }', variables: { ids } });
    const result = (await within(events.next())).value as ExecutionResult;
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/1 to 100 products/) });
  });
});
