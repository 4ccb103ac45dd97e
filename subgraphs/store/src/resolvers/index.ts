import { DateTime } from '@dorandoran/service-kit';
import type { Resolvers } from '../__generated__/resolvers-types';
import { Mutation } from './Mutation';
import { Order } from './Order';
import { OrderConnection } from './OrderConnection';
import { OrderItem } from './OrderItem';
import { OrderStatusChange } from './OrderStatusChange';
import { Payment } from './Payment';
import { Product } from './Product';
import { ProductConnection } from './ProductConnection';
import { Query } from './Query';
import { Subscription } from './Subscription';
import { User } from './User';

export const resolvers: Resolvers = {
  DateTime,
  Mutation,
  Order,
  OrderConnection,
  OrderItem,
  OrderStatusChange,
  Payment,
  Product,
  ProductConnection,
  Query,
  Subscription,
  User,
};
