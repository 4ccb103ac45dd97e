import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { createInProcessTransport, createLogger, createMemoryRevocationStore, type DatabaseTarget } from '@dorandoran/service-kit';
import { bearer, post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startTestIssuer, type TestIssuer } from '@dorandoran/test-support/issuer';
import { testDatabase } from '@dorandoran/test-support/infra';
import { health } from '@dorandoran/test-support/ws';
import { loadStoreConfig } from '../../src/config';
import { createSandboxProvider, type SandboxProvider } from '../../src/payments';
import { startStoreService, type RunningStore } from '../../src/service';

export const SECRET = 'store-test-secret';
export const trusted = { 'x-router-secret': SECRET };
export const WEBHOOK_SECRET = 'store-test-webhook-secret';
/** A short provider timeout, so the sandbox's timeout card answers (not) within a test. */
export const PAYMENT_TIMEOUT_MS = 300;

export interface Person {
  id: string;
  token: string;
  /** What the router sends for this person: their token and the router secret. */
  headers: { authorization: string };
}

/** A real store subgraph on port 0 and a fresh database, with tokens from a test issuer. */
export interface StoreHarness {
  issuer: TestIssuer;
  store: RunningStore;
  /** The provider the store pays with: the sandbox unless another was given. */
  sandbox: SandboxProvider;
  person(): Promise<Person>;
  admin(): Promise<Person>;
  /** As `person`, or without one as the router sends an anonymous caller's request (router secret, no token). */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, person?: Person): Promise<GraphQLResponse<T>>;
  /** Creates a product as an administrator; returns its id. */
  product(fields?: Partial<{ name: string; price: number; stock: number; category: string; description: string; active: boolean }>): Promise<string>;
  stock(productId: string): Promise<number>;
  subscriptions(): Promise<number>;
  close(): Promise<void>;
}

/**
 * With `env.PAYMENT_PROVIDER` the store uses the configured provider (toss against the stand-in); else the sandbox.
 * `database` keeps data across stores (a fresh database of its own otherwise).
 */
export async function startHarness(options: { env?: Record<string, string>; database?: DatabaseTarget } = {}): Promise<StoreHarness> {
  const issuer = await startTestIssuer();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'store-test-'));
  const sandbox = createSandboxProvider({ timeoutMs: PAYMENT_TIMEOUT_MS });
  const logger = createLogger('store-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const events = createInProcessTransport(logger);
  const store = await startStoreService(
    loadStoreConfig({
      ROUTER_SECRET: SECRET,
      PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS),
      AUTH_JWKS_URL: issuer.jwksUrl,
      DATA_DIR: dataDir,
      STORE_PORT: '0',
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      ...options.env,
    }),
    {
      revocations: createMemoryRevocationStore(),
      events,
      logger,
      database: options.database ?? testDatabase('store'),
      paymentProvider: options.env?.PAYMENT_PROVIDER ? undefined : sandbox,
    },
  );
  const sign = async (scope: string): Promise<Person> => {
    const id = uuidv7();
    const token = await issuer.sign({ sub: id, scope });
    return { id, token, headers: { ...trusted, ...bearer(token) } };
  };
  const gql: StoreHarness['gql'] = (query, variables = {}, person) => post(store.url, query, variables, person?.headers ?? trusted);
  let admin: Person | undefined;
  const adminPerson = async () => (admin ??= await sign('user admin'));

  return {
    issuer,
    store,
    sandbox,
    person: () => sign('user'),
    admin: adminPerson,
    gql,
    async product(fields = {}) {
      const input = { name: `Product ${randomUUID().slice(0, 8)}`, price: 1000, stock: 10, ...fields };
      const response = await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, await adminPerson());
      if (!response.data?.createProduct) throw new Error(JSON.stringify(response.errors));
      return response.data.createProduct.id;
    },
    async stock(productId) {
      const response = await gql('query($id: ID!) { product(id: $id) { stock } }', { id: productId });
      return response.data!.product.stock;
    },
    subscriptions: async () => (await health<{ subscriptions: number }>(store.url)).subscriptions,
    async close() {
      await store.close();
      await events.close();
      await issuer.close();
    },
  };
}

export const ORDER_FIELDS = 'id status total { amount currency } items { productName quantity unitPrice { amount } subtotal { amount } product { id } } payment { status provider method failureReason amount { amount } } history { from to actorRole actor { id } reason } buyer { id }';

export const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_FIELDS} } }`;
export const PAY_ORDER = `mutation($input: PayOrderInput!) { payOrder(input: $input) { ${ORDER_FIELDS} } }`;
export const CANCEL_ORDER = `mutation($id: ID!, $reason: String) { cancelOrder(orderId: $id, reason: $reason) { ${ORDER_FIELDS} } }`;
export const SHIP_ORDER = `mutation($id: ID!) { shipOrder(orderId: $id) { ${ORDER_FIELDS} } }`;
export const COMPLETE_ORDER = `mutation($id: ID!) { completeOrder(orderId: $id) { ${ORDER_FIELDS} } }`;
export const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;

/** Places an order for the buyer; returns it. */
export async function placeOrder(h: StoreHarness, buyer: Person, items: { productId: string; quantity: number }[], idempotencyKey: string = randomUUID()) {
  const response = await h.gql(PLACE_ORDER, { input: { items, idempotencyKey } }, buyer);
  if (!response.data?.placeOrder) throw new Error(JSON.stringify(response.errors));
  return response.data.placeOrder;
}

/** Pays the order with a sandbox test card; returns the whole response. */
export function payOrder(h: StoreHarness, buyer: Person, order: { id: string; total: { amount: number } }, paymentKey: string) {
  return h.gql(PAY_ORDER, { input: { orderId: order.id, paymentKey, amount: order.total.amount } }, buyer);
}
