import {
  createLogger,
  databaseTarget,
  loadRouterSecret,
  openDatabase,
  type DatabaseTarget,
  type Logger,
  type RevocationStore,
  type RunningService,
} from '@dorandoran/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthConfig } from './config';
import { lockEmbeddedDatabase } from './embeddedLock';
import { entities } from './entities';
import { createLogMailer, type Mailer } from './mailer';
import { migrations } from './migrations';
import { createAuthServer } from './server';
import { loadSigningKeys } from './signingKeys';
import { createUsersClient } from './usersClient';

export interface AuthDeps {
  revocations: RevocationStore;
  logger?: Logger;
  /** Where reset codes are mailed. @default the log (the local outbox) */
  mailer?: Mailer;
  /** Overrides where data lives (tests): a fresh server database, or `{}` for in-memory PGlite. */
  database?: DatabaseTarget;
}

/** Opens and migrates the auth database, loads (or makes) the signing key, then serves the subgraph on config.port. */
export async function startAuthService(config: AuthConfig, deps: AuthDeps): Promise<RunningService> {
  const logger = deps.logger ?? createLogger('auth', config.logLevel);
  const target = deps.database ?? databaseTarget(config);
  const unlock = !target.databaseUrl && target.dataDir ? await lockEmbeddedDatabase(target.dataDir, 'auth service') : undefined;
  const database = await openDatabase({ service: 'auth', entities, migrations, logger, ...target }).catch(async (error) => {
    await unlock?.();
    throw error;
  });
  const em = database.orm.em as EntityManager;
  const routerSecret = await loadRouterSecret(config.routerSecret, config.dataDir);
  const users = createUsersClient({ url: config.usersUrl, timeoutMs: config.usersTimeoutMs, routerSecret, logger });
  if (!deps.mailer && config.mode === 'production') {
    logger.warn('no mail transport configured: password reset mails (with their codes) go to the log');
  }
  const server = await createAuthServer({
    config,
    em,
    keys: await loadSigningKeys(em.fork()),
    routerSecret,
    revocations: deps.revocations,
    users,
    mailer: deps.mailer ?? createLogMailer(logger),
    logger,
  });
  const port = await server.listen(config.port);
  logger.info({ port }, 'auth subgraph listening');
  return {
    name: 'auth',
    port,
    url: `http://localhost:${port}/graphql`,
    async close() {
      users.close();
      await server.close();
      await database.close();
      await unlock?.();
    },
  };
}
