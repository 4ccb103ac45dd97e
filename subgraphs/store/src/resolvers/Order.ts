import type { OrderResolvers } from '../__generated__/resolvers-types';
import { money } from '../money';

export const Order: OrderResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.orderById.load(id),
  buyer: (order) => ({ id: order.buyerId }),
  items: (order, _args, { loaders }) => loaders.itemsByOrderId.load(order.id),
  total: (order) => money(order.totalAmount),
  payment: (order, _args, { loaders }) => loaders.paymentByOrderId.load(order.id),
  history: (order, _args, { loaders }) => loaders.historyByOrderId.load(order.id),
  shippingAddress: async (order, _args, { loaders }) => {
    // A status event's snapshot carries no address: it is read with the order.
    const stored = await loaders.orderById.load(order.id);
    if (!stored?.shipRecipient) return null;
    return { recipient: stored.shipRecipient, phone: stored.shipPhone!, postalCode: stored.shipPostalCode!, line1: stored.shipLine1!, line2: stored.shipLine2 };
  },
};
