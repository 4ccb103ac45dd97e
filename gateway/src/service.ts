import {
  createLogger,
  createTokenVerifier,
  loadRouterSecret,
  remoteKeys,
  type Logger,
  type RevocationStore,
  type RunningService,
} from '@dorandoran/service-kit';
import type { RouterConfig } from './config';
import { createRouter } from './router';

export interface RouterServiceDeps {
  revocations: RevocationStore;
  logger?: Logger;
}

export async function startRouterService(config: RouterConfig, deps: RouterServiceDeps): Promise<RunningService> {
  const logger = deps.logger ?? createLogger('router', config.logLevel);
  const router = await createRouter({
    config,
    logger,
    routerSecret: await loadRouterSecret(config.routerSecret, config.dataDir),
    verifier: createTokenVerifier({
      keys: remoteKeys(config.jwksUrl),
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      revocations: deps.revocations,
    }),
  });
  const port = await router.listen(config.port);
  logger.info({ port }, 'router listening');
  return { name: 'router', port, url: `http://localhost:${port}/graphql`, close: () => router.close() };
}
