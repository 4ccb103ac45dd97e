import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, conflict, type Logger, serviceUnavailable } from '@dorandoran/service-kit';
import type { PayOrderInput } from './__generated__/resolvers-types';
import { Order } from './entities/Order.entity';
import type { OrderActor } from './entities/OrderStatusChange.entity';
import { Payment } from './entities/Payment.entity';
import type { OrderFeed } from './orderFeed';
import { changeStatus, orderIs } from './orderStatus';
import { cleanReason, lockOrder } from './orders';
import { PaymentOutcomeUnknownError, type CancelOutcome, type ConfirmOutcome, type PaymentProvider } from './payments/provider';

/** What paying, refunding and reconciling need. */
export interface Checkout {
  em: EntityManager;
  provider: PaymentProvider;
  feed: OrderFeed;
  logger: Logger;
  /** How long one attempt holds a payment: the provider timeout and a margin. */
  leaseMs: number;
}

const MAX_PAYMENT_KEY_LENGTH = 200;
const PAID_STATUSES = new Set(['PAID', 'SHIPPED', 'COMPLETED']);

const SYSTEM: OrderActor = { role: 'SYSTEM' };

/**
 * Pays a PENDING_PAYMENT order. The order's one Payment row is claimed under the order's lock with
 * a lease, so of concurrent or repeated calls only one talks to the provider at a time, and every
 * attempt sends the payment's id as the idempotency key: the provider confirms it at most once.
 */
export async function payOrder(checkout: Checkout, buyerId: string, input: PayOrderInput): Promise<Order> {
  if (input.paymentKey.length < 1 || input.paymentKey.length > MAX_PAYMENT_KEY_LENGTH) {
    throw badUserInput('paymentKey', `paymentKey must be 1 to ${MAX_PAYMENT_KEY_LENGTH} characters: the key the payment step returned.`);
  }
  const claim = await checkout.em.fork().transactional(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    if (PAID_STATUSES.has(order.status)) return { order, payment: null };
    if (order.status !== 'PENDING_PAYMENT') throw conflict(`${orderIs(order.status)}, so it can no longer be paid; place a new order.`);
    if (input.amount !== order.totalAmount) {
      throw badUserInput('amount', `The amount ${input.amount} KRW is not the order's total of ${order.totalAmount} KRW; pay the total the order shows.`);
    }
    const existing = await tx.findOne(Payment, { order: order.id });
    if (!existing) {
      const payment = new Payment(order, checkout.provider.name, input.paymentKey, order.totalAmount);
      lease(payment, checkout.leaseMs);
      tx.persist(payment);
      return { order, payment };
    }
    return { order, payment: (await claimLease(tx, existing, 'CONFIRMING', checkout.leaseMs)) ? existing : null };
  });
  if (!claim.payment) return claim.order; // paid already, or another attempt is talking to the provider
  return (await confirm(checkout, claim.payment, { role: 'BUYER', userId: buyerId })) ?? currentOrder(checkout, claim.order.id);
}

/** After a settlement that found the payment settled by someone else (a webhook, the reconciler): the order as it is now. */
const currentOrder = (checkout: Checkout, orderId: string) => checkout.em.fork().findOneOrFail(Order, orderId);

function lease(payment: Payment, leaseMs: number) {
  payment.lockedUntil = new Date(Date.now() + leaseMs);
  payment.attempts += 1;
}

/** Takes the payment for one attempt when it is in `status` and nobody else holds it. */
async function claimLease(tx: EntityManager, payment: Payment, status: 'CONFIRMING' | 'REFUNDING', leaseMs: number): Promise<boolean> {
  const now = new Date();
  if (payment.status !== status || (payment.lockedUntil && payment.lockedUntil > now)) return false;
  lease(payment, leaseMs);
  await tx.flush();
  return true;
}

/** Frees the payment for the next retry or the reconciler after an attempt without an answer. */
const releaseLease = (em: EntityManager, payment: Payment) => em.fork().nativeUpdate(Payment, { id: payment.id }, { lockedUntil: null });

/**
 * Asks the provider about the payment this caller holds. Without an answer the payment is freed for
 * the next retry or the reconciler, and the caller gets SERVICE_UNAVAILABLE saying what happens next.
 */
async function askProvider<T>(checkout: Checkout, payment: Payment, what: 'payment' | 'refund', call: () => Promise<T>, unanswered: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    await releaseLease(checkout.em, payment);
    if (!(error instanceof PaymentOutcomeUnknownError)) throw error;
    checkout.logger.warn({ orderId: payment.orderId, paymentId: payment.id, err: error.message }, `${what} outcome unknown; left for a retry or the reconciler`);
    throw serviceUnavailable(unanswered);
  }
}

async function confirm(checkout: Checkout, payment: Payment, actor: OrderActor): Promise<Order | null> {
  const outcome = await askProvider(
    checkout,
    payment,
    'payment',
    () => checkout.provider.confirm({ paymentKey: payment.paymentKey, orderId: payment.orderId, amount: payment.amount, idempotencyKey: payment.id }),
    'The payment provider did not answer in time. Your payment may have gone through: it is being checked, and you will not be charged twice. ' +
      'Call payOrder again with the same details, or watch the order.',
  );
  return settle(checkout, (tx) => applyConfirmation(tx, payment.id, outcome, actor));
}

/** Runs a settlement in its own transaction and announces the change after it commits. */
export async function settle(checkout: Pick<Checkout, 'em' | 'feed'>, apply: (tx: EntityManager) => Promise<Order | null>): Promise<Order | null> {
  const changed = await checkout.em.fork().transactional(apply);
  if (changed) await checkout.feed.statusChanged(changed);
  return changed;
}

/**
 * Records the provider's verdict on a payment still CONFIRMING (the first verdict wins; a later one,
 * from a webhook or a replay, finds it settled and changes nothing): PAID, or PAYMENT_FAILED with
 * the stock released.
 */
export async function applyConfirmation(tx: EntityManager, paymentId: string, outcome: ConfirmOutcome, actor: OrderActor): Promise<Order | null> {
  const payment = await tx.findOne(Payment, paymentId);
  if (!payment) return null;
  const order = await lockOrder(tx, payment.orderId);
  await tx.refresh(payment);
  if (payment.status !== 'CONFIRMING') return null;
  payment.lockedUntil = null;
  if (outcome.kind === 'approved') {
    Object.assign(payment, { status: 'APPROVED', transactionId: outcome.transactionId, method: outcome.method, approvedAt: outcome.approvedAt });
    return changeStatus(tx, order, 'PAID', actor);
  }
  Object.assign(payment, { status: 'DECLINED', failureCode: outcome.code, failureReason: outcome.message });
  return changeStatus(tx, order, 'PAYMENT_FAILED', actor, `The payment was declined: ${outcome.message}`);
}

/**
 * Cancels an order. Unpaid: CANCELLED at once. Paid: the payment is claimed for a refund (REFUNDING)
 * under the order's lock, refunded through the provider, then the order becomes REFUNDED. Either way
 * the stock goes back. Who may cancel when is checked here; that the caller is the buyer or an
 * administrator is checked by the permissions.
 */
export async function cancelOrder(checkout: Checkout, actor: OrderActor & { role: 'BUYER' | 'ADMIN' }, orderId: string, reasonInput?: string | null): Promise<Order> {
  const reason = cleanReason(reasonInput);
  const claim = await checkout.em.fork().transactional(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (order.status === 'SHIPPED' && actor.role === 'BUYER') {
      throw conflict('This order has shipped; only an administrator can cancel it now.');
    }
    const payment = await tx.findOne(Payment, { order: order.id });
    if (order.status === 'PENDING_PAYMENT') {
      if (payment?.status === 'CONFIRMING') throw conflict('A payment for this order is being confirmed; try again when it has settled.');
      return { cancelled: await changeStatus(tx, order, 'CANCELLED', actor, reason), payment: null };
    }
    if (order.status !== 'PAID' && order.status !== 'SHIPPED') throw conflict(`${orderIs(order.status)}, so it can no longer be cancelled.`);
    if (!payment) throw new Error(`order ${order.id} is ${order.status} without a payment`);
    if (payment.status === 'APPROVED') {
      payment.status = 'REFUNDING';
      payment.refundReason = reason;
    }
    if (!(await claimLease(tx, payment, 'REFUNDING', checkout.leaseMs))) {
      throw conflict('A refund for this order is already in progress; watch the order.');
    }
    return { cancelled: null, payment };
  });
  if (claim.cancelled) {
    await checkout.feed.statusChanged(claim.cancelled);
    return claim.cancelled;
  }
  return refund(checkout, claim.payment!, actor, reason);
}

/**
 * Cancels unpaid orders for the system (a deleted buyer's, abandoned ones), each under its lock.
 * An order whose payment is being confirmed is left alone: the confirmation settles it, and
 * cancelling would lose track of a charge.
 */
export async function cancelUnpaidOrders(tx: EntityManager, which: { buyerId?: string; placedBefore?: Date }, reason: string): Promise<Order[]> {
  const where: FilterQuery<Order> = { status: 'PENDING_PAYMENT' };
  if (which.buyerId) where.buyerId = which.buyerId;
  if (which.placedBefore) where.createdAt = { $lt: which.placedBefore };
  const candidates = await tx.find(Order, where, { fields: ['id'], orderBy: { id: 'asc' } });
  const cancelled: Order[] = [];
  for (const { id } of candidates) {
    const order = await lockOrder(tx, id);
    if (order.status !== 'PENDING_PAYMENT') continue;
    const payment = await tx.findOne(Payment, { order: order.id });
    if (payment?.status === 'CONFIRMING') continue;
    cancelled.push(await changeStatus(tx, order, 'CANCELLED', { role: 'SYSTEM' }, reason));
  }
  return cancelled;
}

/** The abandoned-orders job: unpaid orders placed more than `olderThanMinutes` ago (0: any) are cancelled. */
export async function cancelAbandonedOrders(checkout: Pick<Checkout, 'em' | 'feed'>, olderThanMinutes: number): Promise<number> {
  if (!Number.isInteger(olderThanMinutes) || olderThanMinutes < 0 || olderThanMinutes > 10080) {
    throw badUserInput('olderThanMinutes', 'olderThanMinutes must be a whole number of minutes from 0 to 10080 (a week).');
  }
  const placedBefore = new Date(Date.now() - olderThanMinutes * 60_000);
  const cancelled = await checkout.em.fork().transactional((tx) => cancelUnpaidOrders(tx, { placedBefore }, `Not paid within ${olderThanMinutes} minutes of being placed.`));
  for (const order of cancelled) await checkout.feed.statusChanged(order);
  return cancelled.length;
}

async function refund(checkout: Checkout, payment: Payment, actor: OrderActor, reason: string | null): Promise<Order> {
  const outcome = await askProvider(
    checkout,
    payment,
    'refund',
    () => checkout.provider.cancel({ paymentKey: payment.paymentKey, reason: reason ?? 'Order cancelled', idempotencyKey: `refund-${payment.id}` }),
    'The payment provider did not answer the refund in time. It is being retried; the order shows it as refunded when it goes through.',
  );
  const changed = await settle(checkout, (tx) => applyRefund(tx, payment.id, outcome, actor, reason));
  if (outcome.kind === 'refused') {
    const error = conflict(`The payment provider refused the refund: ${outcome.message} The order is unchanged.`);
    Object.assign(error.extensions, { providerCode: outcome.code });
    throw error;
  }
  return changed ?? currentOrder(checkout, payment.orderId);
}

/** Records a refund's outcome for a payment still REFUNDING: REFUNDED (order too), or back to APPROVED when refused. */
export async function applyRefund(tx: EntityManager, paymentId: string, outcome: CancelOutcome, actor: OrderActor, reason: string | null): Promise<Order | null> {
  const payment = await tx.findOne(Payment, paymentId);
  if (!payment) return null;
  const order = await lockOrder(tx, payment.orderId);
  await tx.refresh(payment);
  if (payment.status !== 'REFUNDING') return null;
  payment.lockedUntil = null;
  if (outcome.kind === 'refused') {
    payment.status = 'APPROVED';
    await tx.flush();
    return null;
  }
  Object.assign(payment, { status: 'REFUNDED', refundedAt: outcome.cancelledAt });
  return changeStatus(tx, order, 'REFUNDED', actor, reason ?? payment.refundReason);
}

/**
 * Settles payments whose last attempt got no answer (provider timeouts): each is confirmed or
 * refunded again with its own idempotency key, so the provider answers with what really happened
 * and nothing is charged or refunded twice. Returns how many were settled.
 */
export async function reconcilePayments(checkout: Checkout): Promise<number> {
  const stale = await checkout.em.fork().find(
    Payment,
    { status: { $in: ['CONFIRMING', 'REFUNDING'] }, $or: [{ lockedUntil: null }, { lockedUntil: { $lt: new Date() } }] },
    { orderBy: { createdAt: 'asc' }, limit: 100 },
  );
  let settled = 0;
  for (const candidate of stale) {
    const payment = await checkout.em.fork().transactional(async (tx) => {
      await lockOrder(tx, candidate.orderId);
      const current = await tx.findOneOrFail(Payment, candidate.id, { refresh: true });
      return (await claimLease(tx, current, current.status as 'CONFIRMING' | 'REFUNDING', checkout.leaseMs)) ? current : null;
    });
    if (!payment) continue;
    try {
      const changed = payment.status === 'CONFIRMING' ? await confirm(checkout, payment, SYSTEM) : await refund(checkout, payment, SYSTEM, payment.refundReason);
      if (changed) settled++;
    } catch (error) {
      checkout.logger.warn({ paymentId: payment.id, err: (error as Error).message }, 'payment not settled yet');
    }
  }
  return settled;
}
