import type { EntityManager } from '@mikro-orm/postgresql';
import { conflict, createEventRecorder } from '@dorandoran/service-kit';
import type { OrderStatus } from './__generated__/resolvers-types';
import { Order } from './entities/Order.entity';
import { OrderStatusChange, type OrderActor } from './entities/OrderStatusChange.entity';

/** store's events (order.placed, order.paid, order.status_changed) go into the outbox with the change. */
export const storeEvents = createEventRecorder('store');

/** The status machine: where an order may go from each status. */
const NEXT: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING_PAYMENT: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  PAID: ['SHIPPED', 'REFUNDED'],
  SHIPPED: ['COMPLETED', 'REFUNDED'],
  COMPLETED: [],
  CANCELLED: [],
  REFUNDED: [],
  PAYMENT_FAILED: [],
};

/** Statuses that end an order without delivering it: its stock goes back on the shelf. */
const RELEASES_STOCK: ReadonlySet<OrderStatus> = new Set(['CANCELLED', 'REFUNDED', 'PAYMENT_FAILED']);

export const isFinal = (status: OrderStatus): boolean => NEXT[status].length === 0;

export const canMove = (from: OrderStatus, to: OrderStatus): boolean => NEXT[from].includes(to);

export function illegalTransition(order: Pick<Order, 'id' | 'status'>, to: OrderStatus) {
  const next = NEXT[order.status];
  const options = next.length ? `from there it can become ${next.join(' or ')}` : 'that is final';
  return conflict(`Order "${order.id}" is ${order.status}; ${options}, not ${to}.`);
}

/**
 * Moves an order from `from` to `to` inside the caller's transaction. The update is conditional on
 * `from`, so of two concurrent changes one wins and the other gets CONFLICT with the order's status
 * as it is. Records the change (history and events), and puts the stock back when the order ends undelivered.
 */
export async function changeStatus(
  tx: EntityManager,
  order: Pick<Order, 'id' | 'status'>,
  to: OrderStatus,
  actor: OrderActor,
  reason: string | null = null,
): Promise<Order> {
  const from = order.status;
  if (!canMove(from, to)) throw illegalTransition(order, to);
  const moved = await tx.nativeUpdate(Order, { id: order.id, status: from }, { status: to, updatedAt: new Date() });
  const current = await tx.findOneOrFail(Order, order.id, { refresh: true });
  if (!moved) throw illegalTransition(current, to);
  if (RELEASES_STOCK.has(to)) {
    await tx.execute(
      'update products p set stock = p.stock + i.quantity, updated_at = now() from order_items i where i.order_id = ? and p.id = i.product_id',
      [order.id],
    );
  }
  tx.persist(new OrderStatusChange(current, from, to, actor, reason));
  storeEvents.record(tx, 'order.status_changed', current.id, { orderId: current.id, buyerId: current.buyerId, from, to, actorRole: actor.role });
  if (to === 'PAID') {
    storeEvents.record(tx, 'order.paid', current.id, { orderId: current.id, buyerId: current.buyerId, amount: { amount: current.totalAmount, currency: 'KRW' } });
  }
  await tx.flush();
  return current;
}
