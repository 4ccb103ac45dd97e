import type { EntityManager } from '@mikro-orm/postgresql';
import { serviceUnavailable } from '@dorandoran/service-kit';
import { Order } from '../entities/Order.entity';
import { Payment } from '../entities/Payment.entity';
import { PaymentOutcomeUnknownError } from '../payments/provider';
import type { OrderServices } from './services';

/** Gives the payment to one attempt for `leaseMs`: of concurrent callers only the holder talks to the provider. */
export function lease(payment: Payment, leaseMs: number) {
  payment.lockedUntil = new Date(Date.now() + leaseMs);
  payment.attempts += 1;
}

/** Takes the payment for one attempt when it is in `status` and nobody else holds it. */
export async function claimLease(tx: EntityManager, payment: Payment, status: 'CONFIRMING' | 'REFUNDING', leaseMs: number): Promise<boolean> {
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
export async function askProvider<T>(orders: OrderServices, payment: Payment, what: 'payment' | 'refund', call: () => Promise<T>, unanswered: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    await releaseLease(orders.em, payment);
    if (!(error instanceof PaymentOutcomeUnknownError)) throw error;
    orders.logger.warn({ orderId: payment.orderId, paymentId: payment.id, err: error.message }, `${what} outcome unknown; left for a retry or the reconciler`);
    throw serviceUnavailable(unanswered);
  }
}

/** Runs a settlement in its own transaction and announces the change after it commits. */
export async function settle(orders: Pick<OrderServices, 'em' | 'feed'>, apply: (tx: EntityManager) => Promise<Order | null>): Promise<Order | null> {
  const changed = await orders.em.fork().transactional(apply);
  if (changed) await orders.feed.statusChanged(changed);
  return changed;
}

/** After a settlement that found the payment settled by someone else (a webhook, the reconciler): the order as it is now. */
export const currentOrder = (orders: Pick<OrderServices, 'em'>, orderId: string) => orders.em.fork().findOneOrFail(Order, orderId);
