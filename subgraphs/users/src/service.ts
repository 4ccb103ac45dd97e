import {
  createLogger,
  createRemoteTokenVerifier,
  databaseTarget,
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
import type { UsersConfig } from './config';
import { signInHandlers } from './dormancy';
import { entities } from './entities';
import { migrations } from './migrations';
import { createUsersServer } from './server';

export interface UsersDeps {
  revocations: RevocationStore;
  events: EventTransport;
  logger?: Logger;
  /** Overrides where data lives (tests). */
  database?: DatabaseTarget;
}

/** Opens and migrates the users database, then serves the subgraph on config.port. */
export async function startUsersService(config: UsersConfig, deps: UsersDeps): Promise<RunningService> {
  const logger = deps.logger ?? createLogger('users', config.logLevel);
  const database = await openDatabase({
    service: 'users',
    entities,
    migrations,
    logger,
    ...(deps.database ?? databaseTarget(config)),
  });
  const routerSecret = await loadRouterSecret(config.routerSecret, config.dataDir);
  // users announces account changes (auth ends sessions on them) and follows sign-ins for dormancy.
  const events = await startServiceEvents({ service: 'users', orm: database.orm, transport: deps.events, logger, handlers: signInHandlers });
  const server = await createUsersServer({
    readiness: serviceReadiness(database, deps.events),
    em: database.orm.em as EntityManager,
    verifier: createRemoteTokenVerifier(config, deps.revocations),
    routerSecret,
    events: events.recorder,
    access: { revocations: deps.revocations, ttlSeconds: config.refreshTokenTtlSeconds },
    logger,
    mode: config.mode,
  });
  const port = await server.listen(config.port);
  logger.info({ port }, 'users subgraph listening');
  return {
    name: 'users',
    port,
    url: `http://localhost:${port}/graphql`,
    async close() {
      await events.close();
      await server.close();
      await database.close();
    },
  };
}
