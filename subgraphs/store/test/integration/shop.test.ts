import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client, ExecutionResult } from 'graphql-ws';
import type { DatabaseTarget } from '@dorandoran/service-kit';
import { testDatabase } from '@dorandoran/test-support/infra';
import { eventually, within, wsClient } from '@dorandoran/test-support/ws';
import { SANDBOX_CARDS } from '../../src/payments';
import { MAX_IMAGE_BYTES } from '../../src/productImages';
import { CANCEL_ORDER, ORDER, PLACE_ORDER, payOrder, placeOrder, startHarness, trusted, type Person, type StoreHarness } from '../helpers/harness';

/** A real 1×1 PNG and a real 1×1 WebP: their first bytes are what the store checks. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const WEBP = Buffer.from('UklGRiQAAABXRUJQVlA4IBgAAAAwAQCdASoBAAEAAwA0JaQAA3AA/vuUAAA=', 'base64');

const SET_IMAGE = 'mutation($id: ID!, $image: ProductImageInput) { setProductImage(productId: $id, image: $image) { id imageUrl } }';
const ADDRESS = { recipient: 'Kim Mina', phone: '010-1234-5678', postalCode: '04524', line1: '110 Sejong-daero, Jung-gu, Seoul', line2: 'Apt 1203' };

let h: StoreHarness;
let admin: Person;
let alice: Person;
let bob: Person;
beforeAll(async () => {
  h = await startHarness();
  [admin, alice, bob] = [await h.admin(), await h.person(), await h.person()];
});
afterAll(() => h?.close());

const origin = () => new URL(h.store.url).origin;
const setImage = (productId: string, bytes: Buffer | null, contentType = 'image/png', person = admin) =>
  h.gql(SET_IMAGE, { id: productId, image: bytes && { contentType, base64: bytes.toString('base64') } }, person);

function expectError(response: { errors?: { message: string; extensions?: Record<string, unknown> }[] }, code: string, extensions: Record<string, unknown> = {}) {
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0].extensions).toMatchObject({ code, ...extensions });
  return response.errors![0].message;
}

describe('product images', () => {
  test('an administrator attaches a PNG: served at a content-hashed URL, cacheable for a year, nosniff, without the router secret', async () => {
    const productId = await h.product({ name: 'Mug with a picture' });
    const response = await setImage(productId, PNG);
    expect(response.errors).toBeUndefined();
    const url: string = response.data!.setProductImage.imageUrl;
    expect(url).toMatch(new RegExp(`^/product-images\\?id=${productId}&v=[0-9a-f]{16}$`));
    const served = await fetch(`${origin()}${url}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
    // Anyone reads it through the product too.
    expect((await h.gql('query($id: ID!) { product(id: $id) { imageUrl } }', { id: productId })).data!.product.imageUrl).toBe(url);
  });

  test('a new image gets a new URL and the old one is a 404 (never another picture under a cached URL); null removes it', async () => {
    const productId = await h.product();
    const first: string = (await setImage(productId, PNG)).data!.setProductImage.imageUrl;
    const second: string = (await setImage(productId, WEBP, 'image/webp')).data!.setProductImage.imageUrl;
    expect(second).not.toBe(first);
    expect((await fetch(`${origin()}${first}`)).status).toBe(404);
    const served = await fetch(`${origin()}${second}`);
    expect([served.status, served.headers.get('content-type')]).toEqual([200, 'image/webp']);
    const removed = await setImage(productId, null);
    expect(removed.data!.setProductImage.imageUrl).toBeNull();
    expect((await fetch(`${origin()}${second}`)).status).toBe(404);
  });

  test(`an image over ${MAX_IMAGE_BYTES / 1024} KiB → BAD_USER_INPUT saying to make it smaller; the product keeps its image`, async () => {
    const productId = await h.product();
    const kept: string = (await setImage(productId, PNG)).data!.setProductImage.imageUrl;
    const big = Buffer.concat([PNG, Buffer.alloc(MAX_IMAGE_BYTES + 1 - PNG.length, 7)]);
    const message = expectError(await setImage(productId, big), 'BAD_USER_INPUT', { field: 'image.base64' });
    expect(message).toMatch(/over 150 KiB; make it smaller/);
    expect((await h.gql('query($id: ID!) { product(id: $id) { imageUrl } }', { id: productId })).data!.product.imageUrl).toBe(kept);
  });

  test('a text file declared as a PNG → BAD_USER_INPUT: the bytes decide, not the name or the declared type', async () => {
    const productId = await h.product();
    const text = Buffer.from('I am a text file called picture.png\n');
    expect(expectError(await setImage(productId, text, 'image/png'), 'BAD_USER_INPUT', { field: 'image.base64' })).toMatch(/not a JPEG, PNG or WebP image/);
    expect(expectError(await setImage(productId, PNG, 'image/jpeg'), 'BAD_USER_INPUT', { field: 'image.contentType' })).toBe(
      'The file is a PNG image, not JPEG as declared; send contentType image/png.',
    );
    expect(expectError(await setImage(productId, PNG, 'image/svg+xml'), 'BAD_USER_INPUT', { field: 'image.contentType' })).toMatch(/JPEG, PNG or WebP/);
    const notBase64 = await h.gql(SET_IMAGE, { id: productId, image: { contentType: 'image/png', base64: '<svg onload=alert(1)>' } }, admin);
    expectError(notBase64, 'BAD_USER_INPUT', { field: 'image.base64' });
  });

  test('a buyer cannot attach an image (FORBIDDEN), an anonymous caller neither (UNAUTHENTICATED)', async () => {
    const productId = await h.product();
    expect(expectError(await setImage(productId, PNG, 'image/png', alice), 'FORBIDDEN')).toMatch(/administrators/);
    expectError(await h.gql(SET_IMAGE, { id: productId, image: { contentType: 'image/png', base64: PNG.toString('base64') } }), 'UNAUTHENTICATED');
    expect((await h.gql('query($id: ID!) { product(id: $id) { imageUrl } }', { id: productId })).data!.product.imageUrl).toBeNull();
  });

  test('the image route answers GET only and opens nothing else: GraphQL still needs the router secret', async () => {
    const bad = await fetch(`${origin()}/product-images?id=not-an-id&v=0000000000000000`);
    expect([bad.status, bad.headers.get('x-content-type-options')]).toEqual([404, 'nosniff']);
    expect((await fetch(`${origin()}/product-images`, { method: 'POST', body: 'x' })).status).toBe(404);
    const graphql = await fetch(h.store.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(graphql.status).toBe(403);
  });
});

describe('shipping address', () => {
  test('an order carries its address: the buyer and administrators read it, someone else reads nothing of the order', async () => {
    const productId = await h.product({ stock: 5 });
    const placed = await h.gql(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id shippingAddress { recipient phone postalCode line1 line2 } } }',
      { input: { items: [{ productId, quantity: 1 }], idempotencyKey: `addr-${productId}`, shippingAddress: { ...ADDRESS, recipient: '  Kim Mina ' } } },
      alice,
    );
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeOrder.shippingAddress).toEqual(ADDRESS);
    const query = 'query($id: ID!) { order(id: $id) { shippingAddress { recipient line1 } } }';
    expect((await h.gql(query, { id: placed.data!.placeOrder.id }, admin)).data!.order.shippingAddress).toEqual({ recipient: 'Kim Mina', line1: ADDRESS.line1 });
    // The list's orders stand in for reading each order again: the address comes with them.
    const mine = await h.gql('{ myOrders(first: 50) { edges { node { id shippingAddress { recipient line1 } } } } }', {}, alice);
    const listed = mine.data!.myOrders.edges.find((edge: { node: { id: string } }) => edge.node.id === placed.data!.placeOrder.id);
    expect(listed.node.shippingAddress).toEqual({ recipient: 'Kim Mina', line1: ADDRESS.line1 });
    const other = await h.gql(query, { id: placed.data!.placeOrder.id }, bob);
    expect(other.data?.order ?? null).toBeNull();
    expect(JSON.stringify(other)).not.toContain('Kim Mina');
    expectError(other, 'FORBIDDEN');
  });

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a blank recipient', { recipient: '   ' }, 'shippingAddress.recipient', /recipient's name is missing/],
    ['a street address of 101 characters', { line1: 'x'.repeat(101) }, 'shippingAddress.line1', /at most 100 characters; this one has 101/],
    ['a phone number of letters', { phone: 'call me' }, 'shippingAddress.phone', /7 to 20 digits/],
    ['a postal code of 11 characters', { postalCode: '12345678901' }, 'shippingAddress.postalCode', /at most 10 characters/],
    ['a second line of 101 characters', { line2: 'y'.repeat(101) }, 'shippingAddress.line2', /at most 100/],
  ])('%s → BAD_USER_INPUT naming the field; nothing is reserved', async (_name, change, field, message) => {
    const productId = await h.product({ stock: 5 });
    const response = await h.gql(PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }], idempotencyKey: `bad-${productId}`, shippingAddress: { ...ADDRESS, ...change } } }, alice);
    expect(expectError(response, 'BAD_USER_INPUT', { field })).toMatch(message);
    expect(await h.stock(productId)).toBe(5);
  });

  test('quantities: 1.5 is refused before anything runs; over the stock → CONFLICT in words with the number left, no id', async () => {
    const productId = await h.product({ name: 'Ceramic mug', stock: 38 });
    const half = await h.gql(PLACE_ORDER, { input: { items: [{ productId, quantity: 1.5 }], idempotencyKey: `half-${productId}` } }, alice);
    expect(half.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const over = await h.gql(PLACE_ORDER, { input: { items: [{ productId, quantity: 40 }], idempotencyKey: `over-${productId}`, shippingAddress: ADDRESS } }, alice);
    const message = expectError(over, 'CONFLICT', { productId, available: 38 });
    expect(message).toBe('Only 38 of "Ceramic mug" are left; the order asked for 40. Nothing was reserved: lower the quantity and order again.');
    expect(await h.stock(productId)).toBe(38);
  });
});

describe('productChanged', () => {
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await eventually(async () => (await h.subscriptions()) === 0, 'subscriptions ended');
  });
  type Changed = ExecutionResult<{ productChanged: { id: string; stock: number; name: string } }>;

  async function follow(ids: string[], headers: Record<string, string> = trusted) {
    const client = wsClient(h.store.url, headers);
    clients.push(client);
    const before = await h.subscriptions();
    const events = client.iterate({ query: 'subscription($ids: [ID!]!) { productChanged(ids: $ids) { id stock name } }', variables: { ids } });
    const first = events.next();
    await Promise.race([eventually(async () => (await h.subscriptions()) > before, 'subscription live'), first]);
    return { events, first };
  }

  test('anonymous followers see stock reserved by an order, set to 0 by an administrator, released by a cancellation; other products are not sent', async () => {
    const watched = await h.product({ name: 'Last teapot', stock: 1 });
    const other = await h.product({ stock: 5 });
    const { events, first } = await follow([watched]);
    await placeOrder(h, bob, [{ productId: other, quantity: 1 }]);
    const order = await placeOrder(h, alice, [{ productId: watched, quantity: 1 }]);
    expect(((await within(first)).value as Changed).data!.productChanged).toEqual({ id: watched, stock: 0, name: 'Last teapot' });
    await h.gql(CANCEL_ORDER, { id: order.id }, alice);
    expect(((await within(events.next())).value as Changed).data!.productChanged.stock).toBe(1);
    await h.gql('mutation($id: ID!) { updateProduct(id: $id, input: { stock: 0 }) { id } }', { id: watched }, admin);
    expect(((await within(events.next())).value as Changed).data!.productChanged.stock).toBe(0);
  });

  test('more than 100 ids, or an id that is not one → BAD_USER_INPUT for that subscription', async () => {
    const client = wsClient(h.store.url, trusted);
    clients.push(client);
    const ids = Array.from({ length: 101 }, () => '01a24613-0000-7000-8000-000000000000');
    for (const [variables, pattern] of [
      [{ ids }, /1 to 100 products/],
      [{ ids: [] }, /1 to 100 products/],
      [{ ids: ['mug'] }, /"mug" is not a product id/],
    ] as const) {
      const events = client.iterate({ query: 'subscription($ids: [ID!]!) { productChanged(ids: $ids) { id } }', variables });
      const result = (await within(events.next())).value as ExecutionResult;
      expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'ids' }, message: expect.stringMatching(pattern) });
    }
  });
});

describe('the sandbox provider keeps its charges in the store database', () => {
  /** A database that outlives one store: on DATABASE_URL's server, or PGlite's files in a folder. */
  async function lastingDatabase(): Promise<{ first: DatabaseTarget; last: DatabaseTarget; cleanUp(): Promise<void> }> {
    const server = testDatabase('store');
    if (server.databaseUrl) return { first: { ...server, dropOnClose: false }, last: server, cleanUp: async () => {} };
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'store-restart-'));
    return { first: { dataDir }, last: { dataDir }, cleanUp: () => rm(dataDir, { recursive: true, force: true }) };
  }

  test('paid before a restart, refunded after it by a new provider instance: REFUNDED, stock back, one refund', async () => {
    const database = await lastingDatabase();
    try {
      const before = await startHarness({ database: database.first });
      const buyer = await before.person();
      const productId = await before.product({ stock: 3 });
      const order = await placeOrder(before, buyer, [{ productId, quantity: 2 }]);
      expect((await payOrder(before, buyer, order, SANDBOX_CARDS.approve)).data!.payOrder.status).toBe('PAID');
      await before.close();

      const after = await startHarness({ database: database.last });
      try {
        expect(after.sandbox).not.toBe(before.sandbox);
        // Tokens come from each harness's own issuer: after the restart the administrator is the new one's.
        const refunded = await after.gql(CANCEL_ORDER, { id: order.id, reason: 'Out of stock at the warehouse' }, await after.admin());
        expect(refunded.errors).toBeUndefined();
        expect(refunded.data!.cancelOrder).toMatchObject({ status: 'REFUNDED', payment: { status: 'REFUNDED' } });
        expect(after.sandbox.calls.refunds).toBe(1);
        expect(await after.stock(productId)).toBe(3);
        expect((await after.gql(ORDER, { id: order.id }, await after.admin())).data!.order.history.at(-1)).toMatchObject({ to: 'REFUNDED', actorRole: 'ADMIN' });
      } finally {
        await after.close();
      }
    } finally {
      await database.cleanUp();
    }
  });
});
