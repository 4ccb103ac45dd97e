import type { Client, ExecutionResult } from 'graphql-ws';
import { eventually, within, wsClient } from '@dorandoran/test-support/ws';
import { SANDBOX_CARDS } from '../../src/payments';
import { CANCEL_ORDER, COMPLETE_ORDER, SHIP_ORDER, payOrder, placeOrder, startHarness, type Person, type StoreHarness } from '../helpers/harness';

let h: StoreHarness;
let buyer: Person;
let admin: Person;
const clients: Client[] = [];
beforeAll(async () => {
  h = await startHarness();
  [buyer, admin] = [await h.person(), await h.admin()];
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await eventually(async () => (await h.subscriptions()) === 0, 'subscriptions ended');
});
afterAll(() => h?.close());

const STATUS_CHANGED = 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status total { amount } history { to } } }';
type StatusEvent = ExecutionResult<{ orderStatusChanged: { status: string; history: { to: string }[] } }>;

async function subscribe(person: Person, orderId: string) {
  const client = wsClient(h.store.url, person.headers);
  clients.push(client);
  const before = await h.subscriptions();
  const events = client.iterate({ query: STATUS_CHANGED, variables: { id: orderId } });
  const first = events.next();
  await Promise.race([eventually(async () => (await h.subscriptions()) > before, 'subscription live'), first]);
  return { events, first };
}

async function newOrder() {
  const productId = await h.product({ stock: 5 });
  return placeOrder(h, buyer, [{ productId, quantity: 1 }]);
}

test('the buyer sees every transition in order, each with its own status, then the subscription completes', async () => {
  const order = await newOrder();
  const { events, first } = await subscribe(buyer, order.id);
  await payOrder(h, buyer, order, SANDBOX_CARDS.approve);
  // Moved at once, one after another: each event still carries the status it announced.
  await h.gql(SHIP_ORDER, { id: order.id }, admin);
  await h.gql(COMPLETE_ORDER, { id: order.id }, admin);
  const seen = [(await within(first)).value as StatusEvent];
  for (let i = 0; i < 2; i++) seen.push((await within(events.next())).value as StatusEvent);
  expect(seen.map((event) => event.data!.orderStatusChanged.status)).toEqual(['PAID', 'SHIPPED', 'COMPLETED']);
  expect((await within(events.next())).done).toBe(true);
});

test('an administrator may watch any order; cancelling ends the subscription after CANCELLED', async () => {
  const order = await newOrder();
  const { events, first } = await subscribe(admin, order.id);
  await h.gql(CANCEL_ORDER, { id: order.id }, buyer);
  expect(((await within(first)).value as StatusEvent).data!.orderStatusChanged.status).toBe('CANCELLED');
  expect((await within(events.next())).done).toBe(true);
});

test('subscribing to an order that is already final completes at once instead of waiting forever', async () => {
  const order = await newOrder();
  await h.gql(CANCEL_ORDER, { id: order.id }, buyer);
  const client = wsClient(h.store.url, buyer.headers);
  clients.push(client);
  expect((await within(client.iterate({ query: STATUS_CHANGED, variables: { id: order.id } }).next())).done).toBe(true);
});

test('another user is refused with FORBIDDEN; nothing stays subscribed', async () => {
  const order = await newOrder();
  const client = wsClient(h.store.url, (await h.person()).headers);
  clients.push(client);
  const refused = await within(client.iterate({ query: STATUS_CHANGED, variables: { id: order.id } }).next());
  expect(refused.value).toMatchObject({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })] });
  expect(await h.subscriptions()).toBe(0);
});
