import type { MutationResolvers } from '../__generated__/resolvers-types';
import { createProduct, updateProduct } from '../catalog';
import { isAdmin, type Context, type StoreServices } from '../context';
import { cancelAbandonedOrders, cancelOrder, fulfil, payOrder, placeOrder } from '../orders';
import { setProductImage } from '../productImages';

/** The person acting: administrators act as ADMIN, everyone else as the buyer (permissions checked which orders). */
const actorOf = ({ viewer }: Context) => ({ role: isAdmin(viewer) ? ('ADMIN' as const) : ('BUYER' as const), userId: viewer!.userId });

/** A product change, once committed, goes to productChanged subscribers. */
async function announced<T extends { id: string }>(store: StoreServices, product: T): Promise<T> {
  await store.products.changed([product.id]);
  return product;
}

export const Mutation: MutationResolvers = {
  createProduct: (_parent, { input }, { em }) => createProduct(em, input),
  updateProduct: async (_parent, { id, input }, { em, store }) => announced(store, await updateProduct(em, id, input)),
  setProductImage: async (_parent, { productId, image }, { em, store }) => announced(store, await setProductImage(em, productId, image)),
  placeOrder: async (_parent, { input }, { viewer, store }) => {
    const order = await placeOrder(store.orders, viewer!.userId, input);
    // Committed: the reserved stock is news for open store pages.
    await store.products.changed(input.items.map((item) => item.productId.toLowerCase()));
    return order;
  },
  payOrder: (_parent, { input }, { store, viewer }) => payOrder(store.orders, viewer!.userId, input),
  cancelOrder: (_parent, { orderId, reason }, context) => cancelOrder(context.store.orders, actorOf(context), orderId, reason),
  shipOrder: (_parent, { orderId }, context) => fulfil(context.store.orders, orderId, 'SHIPPED', actorOf(context)),
  completeOrder: (_parent, { orderId }, context) => fulfil(context.store.orders, orderId, 'COMPLETED', actorOf(context)),
  cancelAbandonedOrders: (_parent, { olderThanMinutes }, { store }) => cancelAbandonedOrders(store.orders, olderThanMinutes),
};
