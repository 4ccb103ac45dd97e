import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseTarget } from '@dorandoran/service-kit';
import { testDatabase } from '@dorandoran/test-support/infra';
import { loadStoreConfig } from '../../src/config';
import { SAMPLE_PRODUCTS } from '../../src/sampleCatalog';
import { placeOrder, startHarness, type StoreHarness } from '../helpers/harness';

// SAMPLE_CATALOG (on under `npm start`): an empty catalog gets sample products at start, once.

const PRODUCTS = 'query { products(first: 50, includeInactive: true) { edges { node { id name category price { amount } stock active } } } }';

interface Listed {
  id: string;
  name: string;
  category: string | null;
  price: { amount: number };
  stock: number;
  active: boolean;
}

async function listed(h: StoreHarness): Promise<Listed[]> {
  const response = await h.gql(PRODUCTS, {}, await h.admin());
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return (response.data.products.edges as { node: Listed }[]).map((edge) => edge.node);
}

/** A database that outlives one store: a database on DATABASE_URL's server, or PGlite's files in a folder. */
async function lastingDatabase(): Promise<{ first: DatabaseTarget; last: DatabaseTarget; cleanUp(): Promise<void> }> {
  const server = testDatabase('store');
  if (server.databaseUrl) return { first: { ...server, dropOnClose: false }, last: server, cleanUp: async () => {} };
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'store-sample-'));
  return { first: { dataDir }, last: { dataDir }, cleanUp: () => rm(dataDir, { recursive: true, force: true }) };
}

const harnesses: StoreHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function start(options: Parameters<typeof startHarness>[0]): Promise<StoreHarness> {
  const h = await startHarness(options);
  harnesses.push(h);
  return h;
}

/** Stops a store before the test ends (its database stays). */
async function stop(h: StoreHarness): Promise<void> {
  harnesses.splice(harnesses.indexOf(h), 1);
  await h.close();
}

test('an empty catalog gets the sample products, for sale and orderable; a restart adds none', async () => {
  const database = await lastingDatabase();
  try {
    const first = await start({ env: { SAMPLE_CATALOG: 'true' }, database: database.first });
    const products = await listed(first);
    expect(products.map((p) => p.name).sort()).toEqual(SAMPLE_PRODUCTS.map((p) => p.name).sort());
    for (const product of products) {
      expect(product.active).toBe(true);
      expect(product.stock).toBeGreaterThan(0);
      expect(product.price.amount).toBeGreaterThan(0);
      expect(product.category).toBeTruthy();
    }
    const buyer = await first.person();
    const order = await placeOrder(first, buyer, [{ productId: products[0].id, quantity: 2 }]);
    expect(order.status).toBe('PENDING_PAYMENT');
    await stop(first);

    const second = await start({ env: { SAMPLE_CATALOG: 'true' }, database: database.last });
    const again = await listed(second);
    expect(again.map((p) => p.id).sort()).toEqual(products.map((p) => p.id).sort());
    expect(again.find((p) => p.id === products[0].id)!.stock).toBe(products[0].stock - 2);
  } finally {
    await database.cleanUp();
  }
});

test("a catalog with an administrator's product gets no sample products", async () => {
  const database = await lastingDatabase();
  try {
    const first = await start({ database: database.first });
    const own = await first.product({ name: 'Our own teapot' });
    await stop(first);
    const second = await start({ env: { SAMPLE_CATALOG: 'true' }, database: database.last });
    expect((await listed(second)).map((p) => p.id)).toEqual([own]);
  } finally {
    await database.cleanUp();
  }
});

test('without SAMPLE_CATALOG the catalog starts empty', async () => {
  const h = await start({});
  expect(await listed(h)).toEqual([]);
});

test('SAMPLE_CATALOG is refused in production, naming the setting', () => {
  expect(() => loadStoreConfig({ NODE_ENV: 'production', PAYMENT_PROVIDER: 'sandbox', SAMPLE_CATALOG: 'true' })).toThrow(/SAMPLE_CATALOG/);
  expect(() => loadStoreConfig({ SAMPLE_CATALOG: 'maybe' })).toThrow(/SAMPLE_CATALOG must be true or false/);
});
