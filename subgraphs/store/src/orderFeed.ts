import type { EntityManager } from '@mikro-orm/postgresql';
import { mapAsyncIterator, type Logger, type PubSub } from '@dorandoran/service-kit';
import type { Order } from './entities/Order.entity';
import { OrderItem } from './entities/OrderItem.entity';
import { isFinal, releasesStock, type OrderRecord } from './orders';
import type { ProductFeed } from './productFeed';

export const orderTopic = (orderId: string) => `store.order.${orderId}`;

/**
 * An order's status changes: published after they commit, watched by subscriptions. A change that
 * puts stock back (cancelled, refunded, declined) is a change of its products too.
 */
export interface OrderFeed {
  statusChanged(order: Order): Promise<void>;
  /** The order as of each change from now on; ends after a final status. */
  watch<T>(orderId: string, map: (order: OrderRecord) => T): Promise<AsyncIterableIterator<T>>;
  /** Subscriptions being served now (GET /health shows it). */
  readonly activeSubscriptions: number;
}

export function createOrderFeed(pubsub: PubSub, products: ProductFeed, em: EntityManager, logger: Logger): OrderFeed {
  let active = 0;
  return {
    async statusChanged(order) {
      const snapshot: OrderRecord = {
        id: order.id,
        buyerId: order.buyerId,
        status: order.status,
        totalAmount: order.totalAmount,
        createdAt: order.createdAt.toISOString(),
      };
      try {
        await pubsub.publish(orderTopic(order.id), snapshot);
      } catch (error) {
        // The change is committed: a lost event costs live delivery only (the order itself is right).
        logger.warn({ orderId: order.id, status: order.status, err: (error as Error).message }, 'order status event not published');
      }
      if (releasesStock(order.status)) {
        const items = await em.fork().find(OrderItem, { order: order.id });
        await products.changed(items.map((item) => item.productId));
      }
    },
    async watch(orderId, map) {
      const events = await pubsub.subscribe<OrderRecord>(orderTopic(orderId));
      active++;
      return mapAsyncIterator(events, { decide: (order) => (isFinal(order.status) ? 'last' : 'deliver'), map, onEnd: () => active-- });
    },
    get activeSubscriptions() {
      return active;
    },
  };
}
