import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventRecorder, Logger } from '@dorandoran/service-kit';
import type { OrderFeed } from '../orderFeed';
import type { PaymentProvider } from '../payments/provider';

/** What the order's life cycle needs; made once per server. */
export interface OrderServices {
  em: EntityManager;
  /** store's outbox: order.placed, order.paid and order.status_changed go in with the change. */
  events: EventRecorder;
  provider: PaymentProvider;
  feed: OrderFeed;
  logger: Logger;
  /** How long one attempt holds a payment: the provider timeout and a margin. */
  leaseMs: number;
}
