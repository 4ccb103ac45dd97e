import type { ProductResolvers } from '../__generated__/resolvers-types';
import { money } from '../money';

export const Product: ProductResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.productById.load(id),
  price: (product) => money(product.price),
};
