import { SANDBOX_CARDS } from '../../src/payments';
import {
  CANCEL_ORDER,
  COMPLETE_ORDER,
  ORDER,
  PAY_ORDER,
  SHIP_ORDER,
  payOrder,
  placeOrder,
  startHarness,
  type Person,
  type StoreHarness,
} from '../helpers/harness';

let h: StoreHarness;
let buyer: Person;
let admin: Person;
beforeAll(async () => {
  h = await startHarness();
  [buyer, admin] = [await h.person(), await h.admin()];
});
afterAll(() => h?.close());

async function pendingOrder(quantity = 2, price = 1500) {
  const productId = await h.product({ price, stock: 10 });
  const order = await placeOrder(h, buyer, [{ productId, quantity }]);
  return { productId, order };
}

const statuses = (order: { history: { to: string }[] }) => order.history.map((change) => change.to);

describe('payOrder with the sandbox', () => {
  test('an approving card: PAID, the payment APPROVED for the total, the change in history', async () => {
    const { order } = await pendingOrder(2, 1500);
    const charges = h.sandbox.calls.charges;
    const response = await payOrder(h, buyer, order, SANDBOX_CARDS.approve);
    expect(response.errors).toBeUndefined();
    const paid = response.data!.payOrder;
    expect(paid).toMatchObject({ status: 'PAID', total: { amount: 3000 }, payment: { status: 'APPROVED', provider: 'sandbox', amount: { amount: 3000 } } });
    expect(statuses(paid)).toEqual(['PENDING_PAYMENT', 'PAID']);
    expect(paid.history[1]).toMatchObject({ from: 'PENDING_PAYMENT', actorRole: 'BUYER', actor: { id: buyer.id } });
    expect(h.sandbox.calls.charges).toBe(charges + 1);
  });

  test('20 concurrent payOrder calls for one order: one charge at the provider, the order PAID', async () => {
    const { order } = await pendingOrder();
    const charges = h.sandbox.calls.charges;
    const responses = await Promise.all(Array.from({ length: 20 }, () => payOrder(h, buyer, order, SANDBOX_CARDS.approve)));
    for (const response of responses) expect(response.errors).toBeUndefined();
    expect(h.sandbox.calls.charges).toBe(charges + 1);
    const final = await h.gql(ORDER, { id: order.id }, buyer);
    expect(final.data!.order).toMatchObject({ status: 'PAID', payment: { status: 'APPROVED' } });
    expect(statuses(final.data!.order)).toEqual(['PENDING_PAYMENT', 'PAID']);
    // Paying a paid order again is a retry: same order, no new charge.
    const again = await payOrder(h, buyer, order, SANDBOX_CARDS.approve);
    expect(again.data!.payOrder.status).toBe('PAID');
    expect(h.sandbox.calls.charges).toBe(charges + 1);
  });

  test('a declined card: PAYMENT_FAILED with the reason, the stock released; the order cannot be paid again', async () => {
    const { productId, order } = await pendingOrder(3);
    expect(await h.stock(productId)).toBe(7);
    const response = await payOrder(h, buyer, order, SANDBOX_CARDS.decline);
    const failed = response.data!.payOrder;
    expect(failed).toMatchObject({ status: 'PAYMENT_FAILED', payment: { status: 'DECLINED', failureReason: expect.any(String) } });
    expect(failed.history[1]).toMatchObject({ from: 'PENDING_PAYMENT', to: 'PAYMENT_FAILED', reason: expect.stringContaining('declined') });
    expect(await h.stock(productId)).toBe(10);
    const again = await payOrder(h, buyer, order, SANDBOX_CARDS.approve);
    expect(again.errors![0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: "This order's payment failed, so it can no longer be paid; place a new order." });
  });

  test('an amount that is not the total → BAD_USER_INPUT on amount, and nothing is charged', async () => {
    const { order } = await pendingOrder();
    const charges = h.sandbox.calls.confirm;
    const response = await h.gql(PAY_ORDER, { input: { orderId: order.id, paymentKey: SANDBOX_CARDS.approve, amount: 1 } }, buyer);
    expect(response.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'amount' }, message: expect.stringContaining('3000') });
    expect(h.sandbox.calls.confirm).toBe(charges);
    expect((await h.gql(ORDER, { id: order.id }, buyer)).data!.order).toMatchObject({ status: 'PENDING_PAYMENT', payment: null });
  });

  test('someone else paying the order → FORBIDDEN; an unknown order → FORBIDDEN too (nothing to learn)', async () => {
    const { order } = await pendingOrder();
    const other = await h.person();
    const response = await payOrder(h, other, order, SANDBOX_CARDS.approve);
    expect(response.errors![0].extensions!.code).toBe('FORBIDDEN');
    const unknown = await payOrder(h, buyer, { ...order, id: '01900000-0000-7000-8000-000000000000' }, SANDBOX_CARDS.approve);
    expect(unknown.errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  test('the provider times out: SERVICE_UNAVAILABLE, payment CONFIRMING; a retry settles it PAID with one charge', async () => {
    const { order } = await pendingOrder();
    const charges = h.sandbox.calls.charges;
    const first = await payOrder(h, buyer, order, SANDBOX_CARDS.timeout);
    expect(first.errors![0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' }, message: expect.stringContaining('not be charged twice') });
    const waiting = await h.gql(ORDER, { id: order.id }, buyer);
    expect(waiting.data!.order).toMatchObject({ status: 'PENDING_PAYMENT', payment: { status: 'CONFIRMING' } });
    // Cancelling now could lose a charge that went through: refused until the payment settles.
    const cancel = await h.gql(CANCEL_ORDER, { id: order.id }, buyer);
    expect(cancel.errors![0].extensions!.code).toBe('CONFLICT');

    const retry = await payOrder(h, buyer, order, SANDBOX_CARDS.timeout);
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.payOrder).toMatchObject({ status: 'PAID', payment: { status: 'APPROVED' } });
    expect(h.sandbox.calls.charges).toBe(charges + 1);
  });

  test('the provider times out and nobody retries: the reconciler settles it PAID (actor SYSTEM), one charge', async () => {
    const { order } = await pendingOrder();
    const charges = h.sandbox.calls.charges;
    expect((await payOrder(h, buyer, order, SANDBOX_CARDS.timeout)).errors![0].extensions!.code).toBe('SERVICE_UNAVAILABLE');
    expect(await h.store.reconcilePayments()).toBeGreaterThanOrEqual(1);
    const settled = (await h.gql(ORDER, { id: order.id }, buyer)).data!.order;
    expect(settled).toMatchObject({ status: 'PAID', payment: { status: 'APPROVED' } });
    expect(settled.history[1]).toMatchObject({ to: 'PAID', actorRole: 'SYSTEM', actor: null });
    expect(h.sandbox.calls.charges).toBe(charges + 1);
    expect(await h.store.reconcilePayments()).toBe(0);
  });
});

describe('after payment', () => {
  async function paidOrder(quantity = 2) {
    const { productId, order } = await pendingOrder(quantity);
    const response = await payOrder(h, buyer, order, SANDBOX_CARDS.approve);
    expect(response.data!.payOrder.status).toBe('PAID');
    return { productId, order };
  }

  test('the buyer cancels a paid order: refunded through the provider, REFUNDED, stock back', async () => {
    const { productId, order } = await paidOrder(4);
    expect(await h.stock(productId)).toBe(6);
    const refunds = h.sandbox.calls.refunds;
    const response = await h.gql(CANCEL_ORDER, { id: order.id, reason: 'changed my mind' }, buyer);
    expect(response.errors).toBeUndefined();
    expect(response.data!.cancelOrder).toMatchObject({ status: 'REFUNDED', payment: { status: 'REFUNDED' } });
    expect(response.data!.cancelOrder.history[2]).toMatchObject({ from: 'PAID', to: 'REFUNDED', actorRole: 'BUYER', reason: 'changed my mind' });
    expect(h.sandbox.calls.refunds).toBe(refunds + 1);
    expect(await h.stock(productId)).toBe(10);
    const again = await h.gql(CANCEL_ORDER, { id: order.id }, buyer);
    expect(again.errors![0].extensions!.code).toBe('CONFLICT');
    expect(h.sandbox.calls.refunds).toBe(refunds + 1);
  });

  test('ship and complete: only in order, only by administrators; the buyer cannot cancel once shipped, an admin can', async () => {
    const { productId, order } = await paidOrder();
    expect((await h.gql(COMPLETE_ORDER, { id: order.id }, admin)).errors![0]).toMatchObject({
      extensions: { code: 'CONFLICT' },
      message: 'This order has been paid, so it cannot be marked delivered. It can be shipped or be refunded.',
    });
    expect((await h.gql(SHIP_ORDER, { id: order.id }, buyer)).errors![0].extensions!.code).toBe('FORBIDDEN');
    const shipped = await h.gql(SHIP_ORDER, { id: order.id }, admin);
    expect(shipped.data!.shipOrder).toMatchObject({ status: 'SHIPPED' });
    expect(shipped.data!.shipOrder.history[2]).toMatchObject({ from: 'PAID', to: 'SHIPPED', actorRole: 'ADMIN', actor: { id: admin.id } });

    const buyerCancel = await h.gql(CANCEL_ORDER, { id: order.id }, buyer);
    expect(buyerCancel.errors![0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringContaining('only an administrator') });
    const adminCancel = await h.gql(CANCEL_ORDER, { id: order.id, reason: 'lost in transit' }, admin);
    expect(adminCancel.data!.cancelOrder).toMatchObject({ status: 'REFUNDED', payment: { status: 'REFUNDED' } });
    expect(await h.stock(productId)).toBe(10);
  });

  test('a completed order is final: no cancel, no ship', async () => {
    const { order } = await paidOrder();
    await h.gql(SHIP_ORDER, { id: order.id }, admin);
    const completed = await h.gql(COMPLETE_ORDER, { id: order.id }, admin);
    expect(statuses(completed.data!.completeOrder)).toEqual(['PENDING_PAYMENT', 'PAID', 'SHIPPED', 'COMPLETED']);
    for (const mutation of [CANCEL_ORDER, SHIP_ORDER, COMPLETE_ORDER]) {
      const response = await h.gql(mutation, { id: order.id }, admin);
      expect(response.errors![0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/^This order has been delivered, so it (cannot be shipped|cannot be marked delivered|can no longer be cancelled)\.$/) });
    }
  });

  test('concurrent ship and refund of one order: one of them wins, the order and stock stay consistent', async () => {
    const { productId, order } = await paidOrder(5);
    const [ship, cancel] = await Promise.all([h.gql(SHIP_ORDER, { id: order.id }, admin), h.gql(CANCEL_ORDER, { id: order.id }, buyer)]);
    const final = (await h.gql(ORDER, { id: order.id }, admin)).data!.order;
    if (final.status === 'REFUNDED') {
      expect(await h.stock(productId)).toBe(10);
      expect(final.payment.status).toBe('REFUNDED');
    } else {
      expect(final.status).toBe('SHIPPED');
      expect(cancel.errors![0].extensions!.code).toBe('CONFLICT');
      expect(await h.stock(productId)).toBe(5);
    }
    expect(ship.errors?.[0]?.extensions?.code ?? 'ok').toMatch(/ok|CONFLICT/);
  });
});
