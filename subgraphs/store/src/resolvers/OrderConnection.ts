import type { OrderConnectionResolvers } from '../__generated__/resolvers-types';
import { connection } from './connection';

export const OrderConnection: OrderConnectionResolvers = connection('order');
