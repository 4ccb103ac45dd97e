import path from 'node:path';
import { createPubSub, loadLocalSecret, startSubgraph, type RunningService, type SubgraphDeps, type SubgraphSpec } from '@dorandoran/service-kit';
import type { StoreConfig } from './config';
import { createContext, type Context, type StoreServices } from './context';
import { entities } from './entities';
import { migrations } from './migrations';
import { createOrderFeed } from './orderFeed';
import { cancelUnpaidOrders, reconcilePayments, type OrderServices } from './orders';
import { createPaymentProvider, isSandboxProvider } from './payments';
import type { PaymentProvider } from './payments/provider';
import { permissions } from './permissions';
import { createProductFeed } from './productFeed';
import { productImageRoute } from './productImages';
import { resolvers } from './resolvers';
import { addSampleCatalog } from './sampleCatalog';
import { paymentWebhookRoute } from './webhooks';

export interface StoreDeps extends SubgraphDeps {
  /** Overrides the configured payment provider (tests count the sandbox's charges). */
  paymentProvider?: PaymentProvider;
}

export interface RunningStore extends RunningService {
  /** Settles payments left unsettled by provider timeouts now, instead of at the next interval. */
  reconcilePayments(): Promise<number>;
}

/** What store builds once: the resolvers' services, and the secret its payment webhook checks. */
interface StoreParts {
  store: StoreServices;
  webhookSecret: string;
}

/**
 * The store subgraph, declared: catalog, orders and payments, with their feeds over graphql-ws, the
 * payment webhook and product images. The service kit's startSubgraph wires it.
 */
export const storeSubgraph: SubgraphSpec<StoreConfig, StoreDeps, StoreParts, Context, Pick<RunningStore, 'reconcilePayments'>> = {
  name: 'store',
  schema: path.join(__dirname, '..', 'schema.graphql'),
  resolvers,
  permissions,
  entities,
  migrations,
  async services({ config, deps, logger, em, events, onClose }) {
    const webhookSecret = await loadLocalSecret('payment-webhook-secret', config.paymentWebhookSecret, config.dataDir);
    const pubsub = createPubSub(config.redisUrl, logger);
    onClose(() => pubsub.close());
    if (config.sampleCatalog) {
      const added = await addSampleCatalog(em);
      if (added > 0) logger.info({ products: added }, 'the catalog was empty: added sample products (SAMPLE_CATALOG=false to start empty)');
    }
    const provider =
      deps.paymentProvider ??
      createPaymentProvider(
        { provider: config.paymentProvider, timeoutMs: config.paymentTimeoutMs, tossApiUrl: config.tossApiUrl, tossSecretKey: config.tossSecretKey },
        logger,
      );
    // The sandbox stands in for a provider's own records: in this database, they outlive a restart.
    if (isSandboxProvider(provider)) provider.useDatabase(em);
    const products = createProductFeed(pubsub, logger);
    const orders: OrderServices = {
      em,
      events,
      provider,
      feed: createOrderFeed(pubsub, products, em, logger),
      logger,
      leaseMs: config.paymentTimeoutMs + 5000,
    };
    return { store: { orders, products }, webhookSecret };
  },
  context: (em, { store }, identity) => createContext(em, store, identity),
  handlers: ({ store: { orders } }) => ({
    'user.deleted': async (event, tx) => {
      const cancelled = await cancelUnpaidOrders(tx, orders.events, { buyerId: event.data.userId }, 'The buyer deleted their account.');
      // Announced once the cancellations have committed.
      return async () => {
        for (const order of cancelled) await orders.feed.statusChanged(order);
      };
    },
  }),
  subscriptions: true,
  routes: ({ store, webhookSecret }, { em, logger }) => [paymentWebhookRoute(store.orders, webhookSecret), productImageRoute(em, logger)],
  health: ({ store: { orders, products } }) => ({
    subscriptions: orders.feed.activeSubscriptions + products.activeSubscriptions,
    paymentProvider: orders.provider.name,
  }),
  // Payments whose provider call timed out are settled in the background, like a retry would.
  timers: ({ store: { orders } }, { config }) => [
    { name: 'payment reconciliation', everyMs: config.paymentReconcileIntervalSeconds * 1000, run: () => reconcilePayments(orders) },
  ],
  describe: ({ store: { orders } }) => ({ paymentProvider: orders.provider.name }),
  running: ({ store: { orders } }) => ({ reconcilePayments: () => reconcilePayments(orders) }),
};

/** Opens and migrates the store database, then serves the subgraph (HTTP, graphql-ws, payment webhook) on config.port. */
export function startStoreService(config: StoreConfig, deps: StoreDeps): Promise<RunningStore> {
  return startSubgraph(storeSubgraph, config, deps);
}
