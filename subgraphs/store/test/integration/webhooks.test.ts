import { randomUUID } from 'node:crypto';
import { SANDBOX_CARDS, signWebhook } from '../../src/payments';
import { WEBHOOK_PATH } from '../../src/webhooks';
import { ORDER, WEBHOOK_SECRET, payOrder, placeOrder, startHarness, type Person, type StoreHarness } from '../helpers/harness';

let h: StoreHarness;
let buyer: Person;
beforeAll(async () => {
  h = await startHarness();
  buyer = await h.person();
});
afterAll(() => h?.close());

const webhookUrl = () => h.store.url.replace(/\/graphql$/, WEBHOOK_PATH);

function notification(orderId: string, paymentKey: string, status: string) {
  return JSON.stringify({ eventType: 'PAYMENT_STATUS_CHANGED', createdAt: new Date().toISOString(), data: { orderId, paymentKey, status } });
}

async function deliver(body: string, headers: Record<string, string> = signWebhook(body, WEBHOOK_SECRET)) {
  const response = await fetch(webhookUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** An order whose payment timed out at the provider: CONFIRMING until a retry, the reconciler or a webhook settles it. */
async function confirmingOrder() {
  const productId = await h.product({ stock: 5 });
  const order = await placeOrder(h, buyer, [{ productId, quantity: 2 }]);
  expect((await payOrder(h, buyer, order, SANDBOX_CARDS.timeout)).errors![0].extensions!.code).toBe('SERVICE_UNAVAILABLE');
  return { productId, order };
}

const readOrder = async (id: string) => (await h.gql(ORDER, { id }, buyer)).data!.order;

test('a bad signature, a stale one or none at all → 401, and the order does not change', async () => {
  const { order } = await confirmingOrder();
  const body = notification(order.id, SANDBOX_CARDS.timeout, 'DONE');
  const forged = await deliver(body, signWebhook(body, 'not-the-secret'));
  expect(forged).toMatchObject({ status: 401, body: { error: expect.stringContaining('Signature refused') } });
  const tampered = await deliver(body.replace('DONE', 'DONE '), signWebhook(body, WEBHOOK_SECRET));
  expect(tampered.status).toBe(401);
  const stale = await deliver(body, signWebhook(body, WEBHOOK_SECRET, new Date(Date.now() - 10 * 60_000)));
  expect(stale.status).toBe(401);
  expect((await deliver(body, {})).status).toBe(401);
  expect(await readOrder(order.id)).toMatchObject({ status: 'PENDING_PAYMENT', payment: { status: 'CONFIRMING' } });
});

test('DONE for a confirming payment: the order becomes PAID (actor SYSTEM); the same notification again changes nothing', async () => {
  const { order } = await confirmingOrder();
  const body = notification(order.id, SANDBOX_CARDS.timeout, 'DONE');
  expect(await deliver(body)).toEqual({ status: 200, body: { received: true, orderStatus: 'PAID' } });
  const paid = await readOrder(order.id);
  expect(paid).toMatchObject({ status: 'PAID', payment: { status: 'APPROVED' } });
  expect(paid.history[1]).toMatchObject({ to: 'PAID', actorRole: 'SYSTEM' });

  expect(await deliver(body)).toEqual({ status: 200, body: { received: true, duplicate: true } });
  expect((await readOrder(order.id)).history).toHaveLength(2);
  // A retry of payOrder afterwards finds it paid: no second charge.
  const charges = h.sandbox.calls.charges;
  expect((await payOrder(h, buyer, order, SANDBOX_CARDS.timeout)).data!.payOrder.status).toBe('PAID');
  expect(h.sandbox.calls.charges).toBe(charges);
});

test('ABORTED for a confirming payment: PAYMENT_FAILED and the stock released', async () => {
  const { productId, order } = await confirmingOrder();
  expect(await h.stock(productId)).toBe(3);
  expect((await deliver(notification(order.id, SANDBOX_CARDS.timeout, 'ABORTED'))).body).toMatchObject({ orderStatus: 'PAYMENT_FAILED' });
  expect(await readOrder(order.id)).toMatchObject({ status: 'PAYMENT_FAILED', payment: { status: 'DECLINED' } });
  expect(await h.stock(productId)).toBe(5);
});

test('CANCELED for a paid order (refunded in the provider\'s console): REFUNDED and the stock back', async () => {
  const productId = await h.product({ stock: 5 });
  const order = await placeOrder(h, buyer, [{ productId, quantity: 1 }]);
  await payOrder(h, buyer, order, SANDBOX_CARDS.approve);
  expect((await deliver(notification(order.id, SANDBOX_CARDS.approve, 'CANCELED'))).body).toMatchObject({ orderStatus: 'REFUNDED' });
  expect(await readOrder(order.id)).toMatchObject({ status: 'REFUNDED', payment: { status: 'REFUNDED' } });
  expect(await h.stock(productId)).toBe(5);
});

test('a notification naming another payment key, an unknown order or another event type changes nothing', async () => {
  const { order } = await confirmingOrder();
  for (const body of [
    notification(order.id, 'someone-elses-key', 'DONE'),
    notification(randomUUID(), SANDBOX_CARDS.timeout, 'DONE'),
    notification('not-an-id', SANDBOX_CARDS.timeout, 'DONE'),
    JSON.stringify({ eventType: 'DEPOSIT_CALLBACK', data: { orderId: order.id } }),
  ]) {
    expect(await deliver(body)).toEqual({ status: 200, body: { received: true, orderStatus: null } });
  }
  expect(await readOrder(order.id)).toMatchObject({ status: 'PENDING_PAYMENT', payment: { status: 'CONFIRMING' } });
  const malformed = await deliver('{"data":');
  expect(malformed.status).toBe(400);
});
