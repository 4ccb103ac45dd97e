import { startTossStandIn, type TossStandIn } from '../helpers/tossStandIn';
import { CANCEL_ORDER, ORDER, payOrder, placeOrder, startHarness, type Person, type StoreHarness } from '../helpers/harness';

// The store configured for Toss Payments, talking HTTP to a local stand-in for Toss's API.
let standIn: TossStandIn;
let h: StoreHarness;
let buyer: Person;
beforeAll(async () => {
  standIn = await startTossStandIn({ secretKey: 'test_sk_store' });
  // No test here waits for a timeout (a lost answer drops the connection), so the default 10 s
  // replaces the harness's 300 ms: twenty confirmations queued on a busy 2-core machine took longer.
  h = await startHarness({ env: { PAYMENT_PROVIDER: 'toss', TOSS_API_URL: standIn.url, TOSS_SECRET_KEY: 'test_sk_store', PAYMENT_TIMEOUT_MS: '10000' } });
  buyer = await h.person();
});
afterAll(async () => {
  await h?.close();
  await standIn?.close();
});

async function pendingOrder() {
  const productId = await h.product({ price: 5000, stock: 10 });
  return { productId, order: await placeOrder(h, buyer, [{ productId, quantity: 2 }]) };
}

test('20 concurrent payOrder calls with a Toss paymentKey: one confirmation at Toss, the order PAID', async () => {
  const { order } = await pendingOrder();
  const responses = await Promise.all(Array.from({ length: 20 }, () => payOrder(h, buyer, order, 'tpk_concurrent_0001')));
  for (const response of responses) expect(response.errors).toBeUndefined();
  expect(standIn.charges).toBe(1);
  expect(standIn.calls.confirm).toBe(1);
  expect((await h.gql(ORDER, { id: order.id }, buyer)).data!.order).toMatchObject({ status: 'PAID', payment: { status: 'APPROVED', provider: 'toss' } });
});

test('Toss declines: PAYMENT_FAILED with Toss\'s reason, the stock released', async () => {
  const { productId, order } = await pendingOrder();
  standIn.behaveFor('tpk_declined_0001', 'decline');
  const failed = (await payOrder(h, buyer, order, 'tpk_declined_0001')).data!.payOrder;
  expect(failed).toMatchObject({ status: 'PAYMENT_FAILED', payment: { status: 'DECLINED', failureReason: expect.any(String) } });
  expect(await h.stock(productId)).toBe(10);
});

test('Toss charges but the answer is lost: SERVICE_UNAVAILABLE, and the retry (same Idempotency-Key) settles PAID with one charge', async () => {
  const { order } = await pendingOrder();
  standIn.behaveFor('tpk_lost_0001', 'lose-answer');
  const charges = standIn.charges;
  expect((await payOrder(h, buyer, order, 'tpk_lost_0001')).errors![0].extensions!.code).toBe('SERVICE_UNAVAILABLE');
  expect(standIn.charges).toBe(charges + 1);
  const retry = await payOrder(h, buyer, order, 'tpk_lost_0001');
  expect(retry.data!.payOrder.status).toBe('PAID');
  expect(standIn.charges).toBe(charges + 1);
});

test('cancelling a paid order refunds it at Toss once', async () => {
  const { productId, order } = await pendingOrder();
  await payOrder(h, buyer, order, 'tpk_refund_0001');
  const refunds = standIn.refunds;
  const cancelled = await h.gql(CANCEL_ORDER, { id: order.id, reason: 'wrong size' }, buyer);
  expect(cancelled.data!.cancelOrder).toMatchObject({ status: 'REFUNDED', payment: { status: 'REFUNDED' } });
  expect(standIn.refunds).toBe(refunds + 1);
  expect(await h.stock(productId)).toBe(10);
});
