import { allow, and, deny, type IRules } from 'graphql-shield';
import { isAdmin, isAuthenticated, isServiceOrAdmin } from '@dorandoran/service-kit';
import { canSeeOrder, isOrderBuyer, isOrderVisible, isSelfOrAdmin, mayIncludeInactive } from './rules';

export const permissions: IRules = {
  Query: {
    '*': deny,
    products: mayIncludeInactive,
    product: allow,
    myOrders: isAuthenticated,
    order: canSeeOrder((args) => args.id),
    orders: isAdmin,
    _service: allow,
    _entities: allow,
  },
  Mutation: {
    '*': deny,
    createProduct: isAdmin,
    updateProduct: isAdmin,
    placeOrder: isAuthenticated,
    payOrder: isOrderBuyer((args) => args.input.orderId),
    cancelOrder: and(isAuthenticated, canSeeOrder((args) => args.orderId)),
    shipOrder: isAdmin,
    completeOrder: isAdmin,
    cancelAbandonedOrders: isServiceOrAdmin,
    setProductImage: isAdmin,
  },
  // orderStatusChanged has no `resolve`, so shield wraps `subscribe`: a refusal fails that operation only.
  Subscription: {
    '*': deny,
    orderStatusChanged: canSeeOrder((args) => args.orderId),
    productChanged: allow,
  },
  Order: isOrderVisible,
  User: { orders: isSelfOrAdmin },
};
