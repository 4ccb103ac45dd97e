import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, conflict, type EventRecorder } from '@dorandoran/service-kit';
import type { PayOrderInput } from '../__generated__/resolvers-types';
import type { Order } from '../entities/Order.entity';
import type { OrderActor } from '../entities/OrderStatusChange.entity';
import { Payment } from '../entities/Payment.entity';
import type { ConfirmOutcome } from '../payments/provider';
import { askProvider, claimLease, currentOrder, lease, settle } from './paymentAttempt';
import type { OrderServices } from './services';
import { changeStatus, lockOrder, orderIs } from './status';

const MAX_PAYMENT_KEY_LENGTH = 200;
const PAID_STATUSES = new Set(['PAID', 'SHIPPED', 'COMPLETED']);

/**
 * Pays a PENDING_PAYMENT order. The order's one Payment row is claimed under the order's lock with
 * a lease, so of concurrent or repeated calls only one talks to the provider at a time, and every
 * attempt sends the payment's id as the idempotency key: the provider confirms it at most once.
 */
export async function payOrder(orders: OrderServices, buyerId: string, input: PayOrderInput): Promise<Order> {
  if (input.paymentKey.length < 1 || input.paymentKey.length > MAX_PAYMENT_KEY_LENGTH) {
    throw badUserInput('paymentKey', `paymentKey must be 1 to ${MAX_PAYMENT_KEY_LENGTH} characters: the key the payment step returned.`);
  }
  const claim = await orders.em.fork().transactional(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    if (PAID_STATUSES.has(order.status)) return { order, payment: null };
    if (order.status !== 'PENDING_PAYMENT') throw conflict(`${orderIs(order.status)}, so it can no longer be paid; place a new order.`);
    if (input.amount !== order.totalAmount) {
      throw badUserInput('amount', `The amount ${input.amount} KRW is not the order's total of ${order.totalAmount} KRW; pay the total the order shows.`);
    }
    const existing = await tx.findOne(Payment, { order: order.id });
    if (!existing) {
      const payment = new Payment(order, orders.provider.name, input.paymentKey, order.totalAmount);
      lease(payment, orders.leaseMs);
      tx.persist(payment);
      return { order, payment };
    }
    return { order, payment: (await claimLease(tx, existing, 'CONFIRMING', orders.leaseMs)) ? existing : null };
  });
  if (!claim.payment) return claim.order; // paid already, or another attempt is talking to the provider
  return (await confirm(orders, claim.payment, { role: 'BUYER', userId: buyerId })) ?? currentOrder(orders, claim.order.id);
}

/** Asks the provider to confirm a payment this caller holds, and records its verdict. */
export async function confirm(orders: OrderServices, payment: Payment, actor: OrderActor): Promise<Order | null> {
  const outcome = await askProvider(
    orders,
    payment,
    'payment',
    () => orders.provider.confirm({ paymentKey: payment.paymentKey, orderId: payment.orderId, amount: payment.amount, idempotencyKey: payment.id }),
    'The payment provider did not answer in time. Your payment may have gone through: it is being checked, and you will not be charged twice. ' +
      'Call payOrder again with the same details, or watch the order.',
  );
  return settle(orders, (tx) => applyConfirmation(tx, orders.events, payment.id, outcome, actor));
}

/**
 * Records the provider's verdict on a payment still CONFIRMING (the first verdict wins; a later one,
 * from a webhook or a replay, finds it settled and changes nothing): PAID, or PAYMENT_FAILED with
 * the stock released.
 */
export async function applyConfirmation(tx: EntityManager, events: EventRecorder, paymentId: string, outcome: ConfirmOutcome, actor: OrderActor): Promise<Order | null> {
  const payment = await tx.findOne(Payment, paymentId);
  if (!payment) return null;
  const order = await lockOrder(tx, payment.orderId);
  await tx.refresh(payment);
  if (payment.status !== 'CONFIRMING') return null;
  payment.lockedUntil = null;
  if (outcome.kind === 'approved') {
    Object.assign(payment, { status: 'APPROVED', transactionId: outcome.transactionId, method: outcome.method, approvedAt: outcome.approvedAt });
    return changeStatus(tx, events, order, 'PAID', actor);
  }
  Object.assign(payment, { status: 'DECLINED', failureCode: outcome.code, failureReason: outcome.message });
  return changeStatus(tx, events, order, 'PAYMENT_FAILED', actor, `The payment was declined: ${outcome.message}`);
}
