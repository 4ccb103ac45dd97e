import type { OrderStatus } from '../__generated__/resolvers-types';
import type { Product } from '../entities/Product.entity';

/**
 * What backs an Order: the entity, or the snapshot a status event carries (so each event shows the
 * status it announced, however fast the next change follows). `createdAt` is a string after Redis.
 */
export interface OrderParent {
  id: string;
  buyerId: string;
  status: OrderStatus;
  totalAmount: number;
  createdAt: Date | string;
}

/** A user as store knows one: only the id; users resolves the rest through the router. */
export interface UserRef {
  id: string;
}

/** One page of a list ordered by id, newest first. */
export interface PageParent<T> {
  nodes: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export type ProductConnectionParent = PageParent<Product>;
export type OrderConnectionParent = PageParent<OrderParent>;
