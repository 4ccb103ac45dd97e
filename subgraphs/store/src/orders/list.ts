import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { pageSize } from '@dorandoran/service-kit';
import type { OrderStatus } from '../__generated__/resolvers-types';
import { Order } from '../entities/Order.entity';
import type { Loaders } from '../loaders';
import { decodeIdCursor, type Page } from '../pagination';

/**
 * What backs an Order: the entity, or the snapshot a status event carries (so each event shows the
 * status it announced, however fast the next change follows). `createdAt` is a string after Redis.
 */
export interface OrderRecord {
  id: string;
  buyerId: string;
  status: OrderStatus;
  totalAmount: number;
  createdAt: Date | string;
}

export type OrderPage = Page<OrderRecord>;

interface OrderListFilter {
  first?: number | null;
  after?: string | null;
  buyerId?: string;
  status?: OrderStatus | null;
}

/**
 * A page of orders, newest first. The orders are primed into the request's `orderById` loader: an
 * order's fields that read it again (its shipping address) then need no second statement.
 */
export async function listOrders({ em, loaders }: { em: EntityManager; loaders: Pick<Loaders, 'orderById'> }, filter: OrderListFilter): Promise<OrderPage> {
  const size = pageSize(filter.first, 'first');
  const where: FilterQuery<Order> = {};
  if (filter.buyerId) where.buyerId = filter.buyerId;
  if (filter.status) where.status = filter.status;
  if (filter.after) where.id = { $lt: decodeIdCursor('order', filter.after) };
  const rows = await em.find(Order, where, { orderBy: { id: 'desc' }, limit: size + 1 });
  for (const order of rows) loaders.orderById.prime(order.id, order);
  return { nodes: rows.slice(0, size), hasNextPage: rows.length > size, hasPreviousPage: Boolean(filter.after) };
}
