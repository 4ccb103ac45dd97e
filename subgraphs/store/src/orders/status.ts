import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { conflict, isUuid, notFound, type EventRecorder } from '@dorandoran/service-kit';
import type { OrderStatus } from '../__generated__/resolvers-types';
import { Order } from '../entities/Order.entity';
import { OrderStatusChange, type OrderActor } from '../entities/OrderStatusChange.entity';

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

export const releasesStock = (status: OrderStatus): boolean => RELEASES_STOCK.has(status);

export const isFinal = (status: OrderStatus): boolean => NEXT[status].length === 0;

const canMove = (from: OrderStatus, to: OrderStatus): boolean => NEXT[from].includes(to);

/** Statuses as a person reads them in the store's messages (the web app shows the same words). */
const WORDS: Readonly<Record<OrderStatus, string>> = {
  PENDING_PAYMENT: 'Awaiting payment',
  PAID: 'Paid',
  SHIPPED: 'Shipped',
  COMPLETED: 'Delivered',
  CANCELLED: 'Cancelled',
  REFUNDED: 'Refunded',
  PAYMENT_FAILED: 'Payment failed',
};

export const statusInWords = (status: OrderStatus): string => WORDS[status];

/** "This order …" as a sentence about where the order is. */
const WHERE: Readonly<Record<OrderStatus, string>> = {
  PENDING_PAYMENT: 'This order is awaiting payment',
  PAID: 'This order has been paid',
  SHIPPED: 'This order has shipped',
  COMPLETED: 'This order has been delivered',
  CANCELLED: 'This order has been cancelled',
  REFUNDED: 'This order has been refunded',
  PAYMENT_FAILED: "This order's payment failed",
};

/** What a change to a status does to the order, as "be …". */
const BECOME: Readonly<Record<OrderStatus, string>> = {
  PENDING_PAYMENT: 'await payment again',
  PAID: 'be paid',
  SHIPPED: 'be shipped',
  COMPLETED: 'be marked delivered',
  CANCELLED: 'be cancelled',
  REFUNDED: 'be refunded',
  PAYMENT_FAILED: 'fail payment',
};

export const orderIs = (status: OrderStatus): string => WHERE[status];

/** The refusal of a change the status machine does not allow, in words; the statuses themselves go in extensions. */
function illegalTransition(order: Pick<Order, 'id' | 'status'>, to: OrderStatus) {
  const next = NEXT[order.status];
  const options = next.length ? ` It can ${next.map((status) => BECOME[status]).join(' or ')}.` : '';
  const error = conflict(`${orderIs(order.status)}, so it cannot ${BECOME[to]}.${options}`);
  Object.assign(error.extensions, { status: order.status, requested: to });
  return error;
}

/**
 * Moves an order from `from` to `to` inside the caller's transaction. The update is conditional on
 * `from`, so of two concurrent changes one wins and the other gets CONFLICT with the order's status
 * as it is. Records the change (history and events), and puts the stock back when the order ends undelivered.
 */
export async function changeStatus(
  tx: EntityManager,
  events: EventRecorder,
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
  events.record(tx, 'order.status_changed', current.id, { orderId: current.id, buyerId: current.buyerId, from, to, actorRole: actor.role });
  if (to === 'PAID') {
    events.record(tx, 'order.paid', current.id, { orderId: current.id, buyerId: current.buyerId, amount: { amount: current.totalAmount, currency: 'KRW' } });
  }
  await tx.flush();
  return current;
}

/**
 * The order, locked for the rest of the transaction: every change to an order or its payment takes
 * this lock first, so a cancellation and a payment attempt (or a refund and completion) never interleave.
 */
export async function lockOrder(tx: EntityManager, orderId: string): Promise<Order> {
  const order = isUuid(orderId) ? await tx.findOne(Order, orderId, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true }) : null;
  if (!order) throw notFound('Order', orderId);
  return order;
}
