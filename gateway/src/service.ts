import {
  createLogger,
  createRemoteTokenVerifier,
  loadRouterSecret,
  type EventTransport,
  type Logger,
  type RevocationStore,
  type RunningService,
} from '@dorandoran/service-kit';
import type { RouterConfig } from './config';
import { createRouter } from './router';

export interface RouterServiceDeps {
  revocations: RevocationStore;
  logger?: Logger;
  /** Namespaces the router's Redis keys; router instances that share budgets share it. */
  redisKeyPrefix?: string;
  /** The domain events (the entity cache is invalidated by them). */
  events?: EventTransport;
}

export async function startRouterService(config: RouterConfig, deps: RouterServiceDeps): Promise<RunningService> {
  const logger = deps.logger ?? createLogger('router', config.logLevel);
  const router = await createRouter({
    config,
    logger,
    routerSecret: await loadRouterSecret(config.routerSecret, config.dataDir),
    verifier: createRemoteTokenVerifier(config, deps.revocations),
    redisKeyPrefix: deps.redisKeyPrefix,
    events: deps.events,
  });
  const port = await router.listen(config.port);
  logger.info({ port }, 'router listening');
  return { name: 'router', port, url: `http://localhost:${port}/graphql`, close: () => router.close() };
}
