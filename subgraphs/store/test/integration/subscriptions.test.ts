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

/** Subscribes; the first event, the order as it is once the feed is live, says when changes will be seen. */
async function subscribe(person: Person, orderId: string) {
  const client = wsClient(h.store.url, person.headers);
  clients.push(client);
  const events = client.iterate({ query: STATUS_CHANGED, variables: { id: orderId } });
  const current = (await within(events.next())).value as StatusEvent;
  return { events, current: current.data!.orderStatusChanged };
}

const statusOf = async (events: AsyncIterator<unknown>) => ((await within(events.next())).value as StatusEvent).data!.orderStatusChanged.status;

async function newOrder() {
  const productId = await h.product({ stock: 5 });
  return placeOrder(h, buyer, [{ productId, quantity: 1 }]);
}

test('the buyer sees the order as it is, then every transition in order, each with its own status, then the subscription completes', async () => {
  const order = await newOrder();
  const { events, current } = await subscribe(buyer, order.id);
  expect(current).toMatchObject({ id: order.id, status: 'PENDING_PAYMENT', history: [{ to: 'PENDING_PAYMENT' }] });
  await payOrder(h, buyer, order, SANDBOX_CARDS.approve);
  // Moved at once, one after another: each event still carries the status it announced.
  await h.gql(SHIP_ORDER, { id: order.id }, admin);
  await h.gql(COMPLETE_ORDER, { id: order.id }, admin);
  const seen = [await statusOf(events), await statusOf(events), await statusOf(events)];
  expect(seen).toEqual(['PAID', 'SHIPPED', 'COMPLETED']);
  expect((await within(events.next())).done).toBe(true);
});

test('an administrator may watch any order; cancelling ends the subscription after CANCELLED', async () => {
  const order = await newOrder();
  const { events, current } = await subscribe(admin, order.id);
  expect(current.status).toBe('PENDING_PAYMENT');
  await h.gql(CANCEL_ORDER, { id: order.id }, buyer);
  expect(await statusOf(events)).toBe('CANCELLED');
  expect((await within(events.next())).done).toBe(true);
});

test('subscribing to an order that is already final sends it as it is and completes, instead of waiting forever', async () => {
  const order = await newOrder();
  await h.gql(CANCEL_ORDER, { id: order.id }, buyer);
  const { events, current } = await subscribe(buyer, order.id);
  expect(current).toMatchObject({ status: 'CANCELLED', history: [{ to: 'PENDING_PAYMENT' }, { to: 'CANCELLED' }] });
  expect((await within(events.next())).done).toBe(true);
});

test('a change made before the feed was live (while a client reconnected, say) is in its first event; the next ones follow', async () => {
  const order = await newOrder();
  await payOrder(h, buyer, order, SANDBOX_CARDS.approve);
  const { events, current } = await subscribe(buyer, order.id);
  expect(current).toMatchObject({ status: 'PAID', history: [{ to: 'PENDING_PAYMENT' }, { to: 'PAID' }] });
  await h.gql(SHIP_ORDER, { id: order.id }, admin);
  expect(await statusOf(events)).toBe('SHIPPED');
});

test('another user is refused with FORBIDDEN; nothing stays subscribed', async () => {
  const order = await newOrder();
  const client = wsClient(h.store.url, (await h.person()).headers);
  clients.push(client);
  const refused = await within(client.iterate({ query: STATUS_CHANGED, variables: { id: order.id } }).next());
  expect(refused.value).toMatchObject({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })] });
  expect(await h.subscriptions()).toBe(0);
});
