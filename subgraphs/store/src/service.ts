import {
  createLogger,
  createPubSub,
  createRemoteTokenVerifier,
  databaseTarget,
  loadLocalSecret,
  loadRouterSecret,
  openDatabase,
  startServiceEvents,
  type DatabaseTarget,
  type EventTransport,
  type Logger,
  type RevocationStore,
  type RunningService,
  serviceReadiness,
} from '@dorandoran/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { cancelUnpaidOrders, reconcilePayments, type Checkout } from './checkout';
import type { StoreConfig } from './config';
import { entities } from './entities';
import { migrations } from './migrations';
import { createOrderFeed } from './orderFeed';
import { createPaymentProvider, isSandboxProvider } from './payments';
import { createProductFeed } from './productFeed';
import type { PaymentProvider } from './payments/provider';
import { addSampleCatalog } from './sampleCatalog';
import { createStoreServer } from './server';

export interface StoreDeps {
  revocations: RevocationStore;
  events: EventTransport;
  logger?: Logger;
  /** Overrides where data lives (tests). */
  database?: DatabaseTarget;
  /** Overrides the configured payment provider (tests count the sandbox's charges). */
  paymentProvider?: PaymentProvider;
}

export interface RunningStore extends RunningService {
  /** Settles payments left unsettled by provider timeouts now, instead of at the next interval. */
  reconcilePayments(): Promise<number>;
}

/** Opens and migrates the store database, then serves the subgraph (HTTP, graphql-ws, payment webhook) on config.port. */
export async function startStoreService(config: StoreConfig, deps: StoreDeps): Promise<RunningStore> {
  const logger = deps.logger ?? createLogger('store', config.logLevel);
  const database = await openDatabase({
    service: 'store',
    entities,
    migrations,
    logger,
    ...(deps.database ?? databaseTarget(config)),
  });
  const routerSecret = await loadRouterSecret(config.routerSecret, config.dataDir);
  const webhookSecret = await loadLocalSecret('payment-webhook-secret', config.paymentWebhookSecret, config.dataDir);
  const pubsub = createPubSub(config.redisUrl, logger);
  const em = database.orm.em as EntityManager;
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
  const checkout: Checkout = {
    em,
    provider,
    feed: createOrderFeed(pubsub, products, em, logger),
    logger,
    leaseMs: config.paymentTimeoutMs + 5000,
  };
  const events = await startServiceEvents({
    service: 'store',
    orm: database.orm,
    transport: deps.events,
    logger,
    handlers: {
      'user.deleted': async (event, tx) => {
        const cancelled = await cancelUnpaidOrders(tx, { buyerId: event.data.userId }, 'The buyer deleted their account.');
        for (const order of cancelled) await checkout.feed.statusChanged(order);
      },
    },
  });
  const server = await createStoreServer({
    readiness: serviceReadiness(database, deps.events),
    em,
    verifier: createRemoteTokenVerifier(config, deps.revocations),
    routerSecret,
    webhookSecret,
    store: { checkout, products },
    logger,
    mode: config.mode,
  });
  const port = await server.listen(config.port);
  logger.info({ port, paymentProvider: checkout.provider.name }, 'store subgraph listening');
  // Payments whose provider call timed out are settled in the background, like a retry would.
  const reconciler = setInterval(() => {
    reconcilePayments(checkout).catch((error) => logger.warn({ err: (error as Error).message }, 'payment reconciliation failed'));
  }, config.paymentReconcileIntervalSeconds * 1000);
  reconciler.unref();
  return {
    name: 'store',
    port,
    url: `http://localhost:${port}/graphql`,
    reconcilePayments: () => reconcilePayments(checkout),
    async close() {
      clearInterval(reconciler);
      await server.close();
      await events.close();
      await pubsub.close();
      await database.close();
    },
  };
}
