import type { MutationResolvers } from '../__generated__/resolvers-types';
import { createProduct, updateProduct } from '../catalog';
import { cancelAbandonedOrders, cancelOrder, payOrder } from '../checkout';
import { isAdmin, type Context } from '../context';
import { fulfil, placeOrder } from '../orders';

/** The person acting: administrators act as ADMIN, everyone else as the buyer (permissions checked which orders). */
const actorOf = ({ viewer }: Context) => ({ role: isAdmin(viewer) ? ('ADMIN' as const) : ('BUYER' as const), userId: viewer!.userId });

export const Mutation: MutationResolvers = {
  createProduct: (_parent, { input }, { em }) => createProduct(em, input),
  updateProduct: (_parent, { id, input }, { em }) => updateProduct(em, id, input),
  placeOrder: (_parent, { input }, { em, viewer }) => placeOrder(em, viewer!.userId, input),
  payOrder: (_parent, { input }, { store, viewer }) => payOrder(store.checkout, viewer!.userId, input),
  cancelOrder: (_parent, { orderId, reason }, context) => cancelOrder(context.store.checkout, actorOf(context), orderId, reason),
  shipOrder: (_parent, { orderId }, context) => fulfil(context.em, context.store.checkout.feed, orderId, 'SHIPPED', actorOf(context)),
  completeOrder: (_parent, { orderId }, context) => fulfil(context.em, context.store.checkout.feed, orderId, 'COMPLETED', actorOf(context)),
  cancelAbandonedOrders: (_parent, { olderThanMinutes }, { store }) => cancelAbandonedOrders(store.checkout, olderThanMinutes),
};
