import type { EntityManager } from '@mikro-orm/postgresql';
import { mapAsyncIterator, type Logger, type PubSub } from '@dorandoran/service-kit';
import { Order } from './entities/Order.entity';
import { OrderItem } from './entities/OrderItem.entity';
import { isFinal, releasesStock, type OrderRecord } from './orders';
import type { ProductFeed } from './productFeed';

export const orderTopic = (orderId: string) => `store.order.${orderId}`;

/** What an event carries: the order's fields as of this change, so each event shows the status it announced. */
const snapshotOf = (order: Order): OrderRecord => ({
  id: order.id,
  buyerId: order.buyerId,
  status: order.status,
  totalAmount: order.totalAmount,
  createdAt: order.createdAt.toISOString(),
});

/**
 * An order's status changes: published after they commit, watched by subscriptions. A change that
 * puts stock back (cancelled, refunded, declined) is a change of its products too.
 */
export interface OrderFeed {
  statusChanged(order: Order): Promise<void>;
  /**
   * The order as it is once watched, then as of each change; ends after a final status (at once for
   * an order that is final already). The first value tells a client its feed is live: a change made
   * from then on follows it, and one made before it (while the client was reconnecting, say) shows
   * in it. None for an order that does not exist.
   */
  watch<T>(orderId: string, map: (order: OrderRecord) => T): Promise<AsyncIterableIterator<T>>;
  /** Subscriptions being served now (GET /health shows it). */
  readonly activeSubscriptions: number;
}

export function createOrderFeed(pubsub: PubSub, products: ProductFeed, em: EntityManager, logger: Logger): OrderFeed {
  let active = 0;
  return {
    async statusChanged(order) {
      try {
        await pubsub.publish(orderTopic(order.id), snapshotOf(order));
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
      // Subscribed first, then read: a change committed in between is in the snapshot or follows it
      // (or both; a client shows the same status twice). Two changes in those few milliseconds could
      // follow a snapshot that already has the second, showing the first again before the second.
      let current: Order | null;
      try {
        current = await em.fork().findOne(Order, orderId);
      } catch (error) {
        await events.return?.();
        throw error;
      }
      active++;
      const first = current ? snapshotOf(current) : undefined;
      return mapAsyncIterator(events, { first, decide: (order) => (isFinal(order.status) ? 'last' : 'deliver'), map, onEnd: () => active-- });
    },
    get activeSubscriptions() {
      return active;
    },
  };
}
