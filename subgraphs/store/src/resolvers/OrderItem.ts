import type { OrderItemResolvers } from '../__generated__/resolvers-types';
import { money } from '../money';

export const OrderItem: OrderItemResolvers = {
  product: async (item, _args, { loaders }) => (await loaders.productById.load(item.productId))!,
  unitPrice: (item) => money(item.unitPrice),
  subtotal: (item) => money(item.unitPrice * item.quantity),
};
