import type { QueryResolvers } from '../__generated__/resolvers-types';
import { listProducts } from '../catalog';
import { listOrders } from '../orders';

export const Query: QueryResolvers = {
  products: (_parent, { first, after, search, category, includeInactive }, { em }) =>
    listProducts(em, { first, after, search, category, includeInactive: includeInactive ?? false }),
  product: (_parent, { id }, { loaders }) => loaders.productById.load(id),
  myOrders: (_parent, { first, after }, context) => listOrders(context, { first, after, buyerId: context.viewer!.userId }),
  order: (_parent, { id }, { loaders }) => loaders.orderById.load(id),
  orders: (_parent, { first, after, status }, context) => listOrders(context, { first, after, status }),
};
