import type { OrderActorRole, OrderStatus } from './__generated__/graphql';

/** An order's status as people read it; the codes stay between the app and the graph. */
export const ORDER_STATUS_WORDS: Readonly<Record<OrderStatus, string>> = {
  PENDING_PAYMENT: 'Awaiting payment',
  PAID: 'Paid',
  SHIPPED: 'Shipped',
  COMPLETED: 'Delivered',
  CANCELLED: 'Cancelled',
  REFUNDED: 'Refunded',
  PAYMENT_FAILED: 'Payment failed',
};

/** Every status, in the order an order goes through them (the administrator's filter lists them so). */
export const ORDER_STATUSES = Object.keys(ORDER_STATUS_WORDS) as OrderStatus[];

export const orderStatusText = (status: OrderStatus): string => ORDER_STATUS_WORDS[status];

const ACTOR_WORDS: Readonly<Record<OrderActorRole, string>> = {
  BUYER: 'by the buyer',
  ADMIN: 'by the store staff',
  SYSTEM: 'automatically',
};

/** One line of an order's history: "Paid, automatically", "Order placed, by the buyer". */
export function historyText(change: { from?: OrderStatus | null; to: OrderStatus; actorRole: OrderActorRole }): string {
  const what = change.from ? ORDER_STATUS_WORDS[change.to] : 'Order placed';
  return `${what}, ${ACTOR_WORDS[change.actorRole]}`;
}
