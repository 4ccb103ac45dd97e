import type { ProductConnectionResolvers } from '../__generated__/resolvers-types';
import { connection } from './connection';

export const ProductConnection: ProductConnectionResolvers = connection('product');
