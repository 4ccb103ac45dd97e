import type { ProductResolvers } from '../__generated__/resolvers-types';
import { money } from '../money';
import { productImageUrl } from '../productImages';

export const Product: ProductResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.productById.load(id),
  price: (product) => money(product.price),
  imageUrl: (product) => productImageUrl(product),
};
