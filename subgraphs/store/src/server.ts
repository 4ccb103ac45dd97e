import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyMiddleware } from 'graphql-middleware';
import { parse } from 'graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createSubgraphServer, type Logger, type SubgraphServer, type TokenVerifier, type ReadinessCheck } from '@dorandoran/service-kit';
import { createContext, type StoreServices } from './context';
import { permissions } from './permissions';
import { resolvers } from './resolvers';
import { paymentWebhookRoute } from './webhooks';
import { productImageRoute } from './productImages';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface StoreServerDeps {
  em: EntityManager;
  verifier: TokenVerifier;
  routerSecret: string;
  webhookSecret: string;
  store: StoreServices;
  logger: Logger;
  mode: 'development' | 'production';
  readiness: Record<string, ReadinessCheck>;
}

/** The store subgraph's HTTP and graphql-ws server, with the payment webhook and product images, not yet listening. */
export function createStoreServer(deps: StoreServerDeps): Promise<SubgraphServer> {
  return createSubgraphServer({
    name: 'store',
    typeDefs,
    resolvers,
    protect: (schema) => applyMiddleware(schema, permissions),
    context: (identity) => createContext(deps.em, deps.store, identity),
    verifier: deps.verifier,
    routerSecret: deps.routerSecret,
    logger: deps.logger,
    mode: deps.mode,
    readiness: deps.readiness,
    subscriptions: true,
    routes: [paymentWebhookRoute(deps.store.checkout, deps.webhookSecret), productImageRoute(deps.em, deps.logger)],
    health: async () => ({
      subscriptions: deps.store.checkout.feed.activeSubscriptions + deps.store.products.activeSubscriptions,
      paymentProvider: deps.store.checkout.provider.name,
    }),
  });
}
