import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '@dorandoran/service-kit';
import { Order } from './entities/Order.entity';
import { OrderItem } from './entities/OrderItem.entity';
import { OrderStatusChange } from './entities/OrderStatusChange.entity';
import { Payment } from './entities/Payment.entity';
import { Product } from './entities/Product.entity';

export interface Loaders {
  productById: DataLoader<string, Product | null>;
  orderById: DataLoader<string, Order | null>;
  /** An order's lines, in the order they were placed. */
  itemsByOrderId: DataLoader<string, OrderItem[]>;
  /** An order's status changes, oldest first. */
  historyByOrderId: DataLoader<string, OrderStatusChange[]>;
  paymentByOrderId: DataLoader<string, Payment | null>;
}

/** Keys that are not UUIDs cannot match, and would make PostgreSQL reject the whole batch. */
function batch<V>(load: (ids: string[]) => Promise<Map<string, V>>, missing: () => V) {
  return async (keys: readonly string[]): Promise<V[]> => {
    const valid = [...new Set(keys.filter(isUuid))];
    const found = valid.length ? await load(valid) : new Map<string, V>();
    return keys.map((key) => found.get(key) ?? missing());
  };
}

const byKey = <T>(items: T[], key: (item: T) => string) => new Map(items.map((item) => [key(item), item]));

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** Per-request loaders: one SQL statement per batch, results in key order. */
export function createLoaders(em: EntityManager): Loaders {
  return {
    productById: new DataLoader(batch(async (ids) => byKey(await em.find(Product, { id: { $in: ids } }), (product) => product.id), () => null)),
    orderById: new DataLoader(batch(async (ids) => byKey(await em.find(Order, { id: { $in: ids } }), (order) => order.id), () => null)),
    itemsByOrderId: new DataLoader(
      batch(async (ids) => groupBy(await em.find(OrderItem, { order: { $in: ids } }, { orderBy: { id: 'asc' } }), (item) => item.orderId), () => []),
    ),
    historyByOrderId: new DataLoader(
      batch(
        async (ids) => groupBy(await em.find(OrderStatusChange, { order: { $in: ids } }, { orderBy: { createdAt: 'asc', id: 'asc' } }), (change) => change.orderId),
        () => [],
      ),
    ),
    paymentByOrderId: new DataLoader(batch(async (ids) => byKey(await em.find(Payment, { order: { $in: ids } }), (payment) => payment.orderId), () => null)),
  };
}
