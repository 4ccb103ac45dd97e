// An order's life cycle, from placement to refund; the rest of store reaches it only through here.
export type { OrderServices } from './services';
export { isFinal, releasesStock } from './status';
export { placeOrder } from './place';
export { payOrder, applyConfirmation } from './pay';
export { fulfil } from './fulfil';
// A paid order's cancellation is its refund.
export { cancelOrder, cancelUnpaidOrders, cancelAbandonedOrders } from './cancel';
export { applyRefund, refundedAtProvider } from './refund';
export { reconcilePayments } from './reconcile';
export { settle } from './paymentAttempt';
export { listOrders, type OrderPage, type OrderRecord } from './list';
