import { randomUUID } from 'node:crypto';
import type { Client, ExecutionResult } from 'graphql-ws';
import { SANDBOX_CARDS, signWebhook } from '@dorandoran/store/payments';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';
import { within, wsClient } from '@dorandoran/test-support/ws';

let stack: Stack;
let buyer: SignedIn;
let admin: SignedIn;
const clients: Client[] = [];
const WEBHOOK_SECRET = 'e2e-payment-webhook-secret';
beforeAll(async () => {
  stack = await startStack({ PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET });
  buyer = await signUp(stack, { nickname: 'Buyer Kim' });
  admin = await signUpAdmin(stack);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(() => stack?.close());

const gql = (query: string, variables: Record<string, unknown> = {}, person?: SignedIn): Promise<GraphQLResponse> =>
  post(stack.routerUrl, query, variables, person?.headers ?? {});

async function createProduct(name: string, price: number, stock: number) {
  const response = await gql(
    'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { input: { name, price, stock, category: 'tea', description: `${name}, loose leaf` } },
    admin,
  );
  if (!response.data?.createProduct) throw new Error(JSON.stringify(response.errors));
  return response.data.createProduct.id as string;
}

const ORDER_STATUS = `subscription($id: ID!) {
  orderStatusChanged(orderId: $id) { id status buyer { nickname } total { amount } }
}`;
type StatusEvent = ExecutionResult<{ orderStatusChanged: { status: string; buyer: { nickname: string } } }>;

test('browse, order, pay with the sandbox, and watch the order live (as it is, then PAID → SHIPPED → COMPLETED) while an admin moves it', async () => {
  const productId = await createProduct('Jeju Green Tea', 12000, 5);

  const browse = await gql('query($search: String) { products(search: $search, category: "TEA") { edges { node { id name price { amount currency } stock } } } }', { search: 'jeju' });
  expect(browse.errors).toBeUndefined();
  expect(browse.data!.products.edges.map((edge: { node: unknown }) => edge.node)).toContainEqual({
    id: productId,
    name: 'Jeju Green Tea',
    price: { amount: 12000, currency: 'KRW' },
    stock: 5,
  });

  const placed = await gql(
    'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status total { amount } buyer { nickname } items { productName quantity subtotal { amount } } } }',
    { input: { items: [{ productId, quantity: 2 }], idempotencyKey: randomUUID() } },
    buyer,
  );
  expect(placed.errors).toBeUndefined();
  const order = placed.data!.placeOrder;
  expect(order).toMatchObject({ status: 'PENDING_PAYMENT', total: { amount: 24000 }, buyer: { nickname: 'Buyer Kim' }, items: [{ productName: 'Jeju Green Tea', quantity: 2, subtotal: { amount: 24000 } }] });

  const client = wsClient(stack.routerUrl, buyer.headers);
  clients.push(client);
  const events = client.iterate({ query: ORDER_STATUS, variables: { id: order.id } });
  // The first event is the order as it is once the feed is live at the store, federated like the rest.
  expect(((await within(events.next())).value as StatusEvent).data!.orderStatusChanged).toMatchObject({ status: 'PENDING_PAYMENT', buyer: { nickname: 'Buyer Kim' } });

  const paid = await gql(
    'mutation($input: PayOrderInput!) { payOrder(input: $input) { status payment { status provider } } }',
    { input: { orderId: order.id, paymentKey: 'sandbox-card-approve', amount: 24000 } },
    buyer,
  );
  expect(paid.data!.payOrder).toEqual({ status: 'PAID', payment: { status: 'APPROVED', provider: 'sandbox' } });
  expect(((await within(events.next())).value as StatusEvent).data!.orderStatusChanged).toMatchObject({ status: 'PAID', buyer: { nickname: 'Buyer Kim' } });

  expect((await gql('mutation($id: ID!) { shipOrder(orderId: $id) { status } }', { id: order.id }, admin)).data).toEqual({ shipOrder: { status: 'SHIPPED' } });
  expect(((await within(events.next())).value as StatusEvent).data!.orderStatusChanged.status).toBe('SHIPPED');
  expect((await gql('mutation($id: ID!) { completeOrder(orderId: $id) { status } }', { id: order.id }, admin)).data).toEqual({ completeOrder: { status: 'COMPLETED' } });
  expect(((await within(events.next())).value as StatusEvent).data!.orderStatusChanged).toMatchObject({ status: 'COMPLETED', buyer: { nickname: 'Buyer Kim' } });
  expect((await within(events.next())).done).toBe(true);

  const history = await gql('query($id: ID!) { order(id: $id) { history { to actorRole actor { nickname } } } }', { id: order.id }, buyer);
  expect(history.data!.order.history).toEqual([
    { to: 'PENDING_PAYMENT', actorRole: 'BUYER', actor: { nickname: 'Buyer Kim' } },
    { to: 'PAID', actorRole: 'BUYER', actor: { nickname: 'Buyer Kim' } },
    { to: 'SHIPPED', actorRole: 'ADMIN', actor: { nickname: 'Admin' } },
    { to: 'COMPLETED', actorRole: 'ADMIN', actor: { nickname: 'Admin' } },
  ]);
  expect(stack.payments.calls.charges).toBe(1);
});

test('permissions through the router: anonymous, another buyer, and admin-only fields', async () => {
  const productId = await createProduct('Barley Tea', 3000, 10);
  const placed = await gql(
    'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    { input: { items: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() } },
    buyer,
  );
  const orderId = placed.data!.placeOrder.id;

  const anonymous = await gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() } });
  expect(anonymous.errors![0].extensions!.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');

  const stranger = await signUp(stack, { nickname: 'Stranger' });
  const peek = await gql('query($id: ID!) { order(id: $id) { id total { amount } } }', { id: orderId }, stranger);
  expect(peek.data).toEqual({ order: null });
  expect(peek.errors![0].extensions!.code).toBe('FORBIDDEN');
  const theirs = await gql('query($id: ID!) { user(id: $id) { nickname orders { edges { cursor } } } }', { id: buyer.id }, stranger);
  expect(theirs.errors![0]).toMatchObject({ path: ['user', 'orders'], extensions: { code: 'FORBIDDEN' } });

  const notAdmin = await gql('{ orders { edges { node { id } } } }', {}, buyer);
  expect(notAdmin.errors![0].extensions!.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  const mine = await gql('{ me { orders { edges { node { id buyer { nickname } } } } } }', {}, buyer);
  expect(mine.data!.me.orders.edges.map((edge: { node: { id: string } }) => edge.node.id)).toContain(orderId);
  const all = await gql('query { orders(status: PENDING_PAYMENT) { edges { node { id buyer { nickname } } } } }', {}, admin);
  expect(all.data!.orders.edges).toContainEqual({ node: { id: orderId, buyer: { nickname: 'Buyer Kim' } } });

  const stolen = wsClient(stack.routerUrl, stranger.headers);
  clients.push(stolen);
  const refused = await within(stolen.iterate({ query: ORDER_STATUS, variables: { id: orderId } }).next());
  expect(refused.value).toMatchObject({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })] });
});

describe('the payment provider reaches the store through the router', () => {
  const deliver = async (routerUrl: string, body: string, headers: Record<string, string> = signWebhook(body, WEBHOOK_SECRET)) => {
    const response = await fetch(routerUrl.replace(/\/graphql$/, '/webhooks/payments'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  test('a signed notification settles a payment whose answer was lost; unsigned or oversized ones are refused', async () => {
    const productId = await createProduct('Omija Tea', 9000, 3);
    const placed = await gql(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id total { amount } } }',
      { input: { items: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() } },
      buyer,
    );
    const order = placed.data!.placeOrder;
    const lost = await gql(
      'mutation($input: PayOrderInput!) { payOrder(input: $input) { status } }',
      { input: { orderId: order.id, paymentKey: SANDBOX_CARDS.timeout, amount: order.total.amount } },
      buyer,
    );
    expect(lost.errors![0].extensions!.code).toBe('SERVICE_UNAVAILABLE');

    const body = JSON.stringify({ eventType: 'PAYMENT_STATUS_CHANGED', data: { orderId: order.id, paymentKey: SANDBOX_CARDS.timeout, status: 'DONE' } });
    expect((await deliver(stack.routerUrl, body, {})).status).toBe(401);
    expect(await deliver(stack.routerUrl, body)).toEqual({ status: 200, body: { received: true, orderStatus: 'PAID' } });
    expect(await deliver(stack.routerUrl, body)).toEqual({ status: 200, body: { received: true, duplicate: true } });
    const paid = await gql('query($id: ID!) { order(id: $id) { status payment { status } } }', { id: order.id }, buyer);
    expect(paid.data!.order).toEqual({ status: 'PAID', payment: { status: 'APPROVED' } });

    const oversized = JSON.stringify({ eventType: 'PAYMENT_STATUS_CHANGED', padding: 'x'.repeat(128 * 1024) });
    const refused = await deliver(stack.routerUrl, oversized);
    expect(refused.status).toBe(413);
    expect(refused.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('a store that cannot be reached → 503, which the provider retries', async () => {
    const cut = await stack.startRouter({ STORE_URL: 'http://127.0.0.1:9/graphql' });
    const body = JSON.stringify({ eventType: 'PAYMENT_STATUS_CHANGED', data: {} });
    const response = await deliver(cut.url, body);
    expect(response.status).toBe(503);
    expect(response.body.errors[0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' }, message: expect.stringMatching(/store is not reachable/) });
  });
});
