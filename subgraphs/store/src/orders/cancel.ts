import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, conflict, type EventRecorder } from '@dorandoran/service-kit';
import { Order } from '../entities/Order.entity';
import type { OrderActor } from '../entities/OrderStatusChange.entity';
import { Payment } from '../entities/Payment.entity';
import { claimLease } from './paymentAttempt';
import { refund } from './refund';
import type { OrderServices } from './services';
import { changeStatus, lockOrder, orderIs } from './status';

const MAX_REASON_LENGTH = 500;

function cleanReason(reason: string | null | undefined): string | null {
  const text = reason?.trim() ?? '';
  if ([...text].length > MAX_REASON_LENGTH) throw badUserInput('reason', `reason takes at most ${MAX_REASON_LENGTH} characters.`);
  return text || null;
}

/**
 * Cancels an order. Unpaid: CANCELLED at once. Paid: the payment is claimed for a refund (REFUNDING)
 * under the order's lock, refunded through the provider, then the order becomes REFUNDED. Either way
 * the stock goes back. Who may cancel when is checked here; that the caller is the buyer or an
 * administrator is checked by the permissions.
 */
export async function cancelOrder(orders: OrderServices, actor: OrderActor & { role: 'BUYER' | 'ADMIN' }, orderId: string, reasonInput?: string | null): Promise<Order> {
  const reason = cleanReason(reasonInput);
  const claim = await orders.em.fork().transactional(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (order.status === 'SHIPPED' && actor.role === 'BUYER') {
      throw conflict('This order has shipped; only an administrator can cancel it now.');
    }
    const payment = await tx.findOne(Payment, { order: order.id });
    if (order.status === 'PENDING_PAYMENT') {
      if (payment?.status === 'CONFIRMING') throw conflict('A payment for this order is being confirmed; try again when it has settled.');
      return { cancelled: await changeStatus(tx, orders.events, order, 'CANCELLED', actor, reason), payment: null };
    }
    if (order.status !== 'PAID' && order.status !== 'SHIPPED') throw conflict(`${orderIs(order.status)}, so it can no longer be cancelled.`);
    if (!payment) throw new Error(`order ${order.id} is ${order.status} without a payment`);
    if (payment.status === 'APPROVED') {
      payment.status = 'REFUNDING';
      payment.refundReason = reason;
    }
    if (!(await claimLease(tx, payment, 'REFUNDING', orders.leaseMs))) {
      throw conflict('A refund for this order is already in progress; watch the order.');
    }
    return { cancelled: null, payment };
  });
  if (claim.cancelled) {
    await orders.feed.statusChanged(claim.cancelled);
    return claim.cancelled;
  }
  return refund(orders, claim.payment!, actor, reason);
}

/**
 * Cancels unpaid orders for the system (a deleted buyer's, abandoned ones), each under its lock.
 * An order whose payment is being confirmed is left alone: the confirmation settles it, and
 * cancelling would lose track of a charge.
 */
export async function cancelUnpaidOrders(tx: EntityManager, events: EventRecorder, which: { buyerId?: string; placedBefore?: Date }, reason: string): Promise<Order[]> {
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
    cancelled.push(await changeStatus(tx, events, order, 'CANCELLED', { role: 'SYSTEM' }, reason));
  }
  return cancelled;
}

/** The abandoned-orders job: unpaid orders placed more than `olderThanMinutes` ago (0: any) are cancelled. */
export async function cancelAbandonedOrders(orders: Pick<OrderServices, 'em' | 'events' | 'feed'>, olderThanMinutes: number): Promise<number> {
  if (!Number.isInteger(olderThanMinutes) || olderThanMinutes < 0 || olderThanMinutes > 10080) {
    throw badUserInput('olderThanMinutes', 'olderThanMinutes must be a whole number of minutes from 0 to 10080 (a week).');
  }
  const placedBefore = new Date(Date.now() - olderThanMinutes * 60_000);
  const cancelled = await orders.em.fork().transactional((tx) => cancelUnpaidOrders(tx, orders.events, { placedBefore }, `Not paid within ${olderThanMinutes} minutes of being placed.`));
  for (const order of cancelled) await orders.feed.statusChanged(order);
  return cancelled.length;
}

