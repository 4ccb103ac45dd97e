import type { EntityManager } from '@mikro-orm/postgresql';
import { conflict, type EventRecorder } from '@dorandoran/service-kit';
import type { Order } from '../entities/Order.entity';
import type { OrderActor } from '../entities/OrderStatusChange.entity';
import { Payment } from '../entities/Payment.entity';
import type { CancelOutcome } from '../payments/provider';
import { askProvider, currentOrder, settle } from './paymentAttempt';
import type { OrderServices } from './services';
import { changeStatus, lockOrder } from './status';

/** Refunds a payment this caller holds (REFUNDING) through the provider, and records the outcome. */
export async function refund(orders: OrderServices, payment: Payment, actor: OrderActor, reason: string | null): Promise<Order> {
  const outcome = await askProvider(
    orders,
    payment,
    'refund',
    () => orders.provider.cancel({ paymentKey: payment.paymentKey, reason: reason ?? 'Order cancelled', idempotencyKey: `refund-${payment.id}` }),
    'The payment provider did not answer the refund in time. It is being retried; the order shows it as refunded when it goes through.',
  );
  const changed = await settle(orders, (tx) => applyRefund(tx, orders.events, payment.id, outcome, actor, reason));
  if (outcome.kind === 'refused') {
    const error = conflict(`The payment provider refused the refund: ${outcome.message} The order is unchanged.`);
    Object.assign(error.extensions, { providerCode: outcome.code });
    throw error;
  }
  return changed ?? currentOrder(orders, payment.orderId);
}

/** Records a refund's outcome for a payment still REFUNDING: REFUNDED (order too), or back to APPROVED when refused. */
export async function applyRefund(tx: EntityManager, events: EventRecorder, paymentId: string, outcome: CancelOutcome, actor: OrderActor, reason: string | null): Promise<Order | null> {
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
  return changeStatus(tx, events, order, 'REFUNDED', actor, reason ?? payment.refundReason);
}

/** A refund made outside the store (the provider's console): the order follows. */
export async function refundedAtProvider(tx: EntityManager, events: EventRecorder, payment: Payment): Promise<Order | null> {
  const order = await lockOrder(tx, payment.orderId);
  if (order.status !== 'PAID' && order.status !== 'SHIPPED') return null;
  Object.assign(payment, { status: 'REFUNDED', refundedAt: new Date(), lockedUntil: null });
  return changeStatus(tx, events, order, 'REFUNDED', { role: 'SYSTEM' }, 'Refunded at the payment provider.');
}
