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
import { normalizeEmail } from './credentials';
import { entities } from './entities';
import { createLogMailer, type Mailer } from './mailer';
import { migrations } from './migrations';
import { grantAdmin, type GrantAdminResult } from './roles';
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

export interface AuthService extends RunningService {
  /** Gives ADMIN to the account with this email, as `npm run admin:create` does (tests and launchers use it). */
  grantAdmin(email: string): Promise<GrantAdminResult>;
}

/** Opens and migrates the auth database, loads (or makes) the signing key, then serves the subgraph on config.port. */
export async function startAuthService(config: AuthConfig, deps: AuthDeps): Promise<AuthService> {
  const logger = deps.logger ?? createLogger('auth', config.logLevel);
  const target = deps.database ?? databaseTarget(config);
  // What is open so far, closed in reverse order on close() or when starting fails half-way.
  const opened: (() => unknown)[] = [];
  const closeAll = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };
  try {
    const database = await openDatabase({ service: 'auth', entities, migrations, logger, ...target });
    opened.push(() => database.close());
    const em = database.orm.em as EntityManager;
    const routerSecret = await loadRouterSecret(config.routerSecret, config.dataDir);
    const users = createUsersClient({ url: config.usersUrl, timeoutMs: config.usersTimeoutMs, routerSecret, logger });
    opened.push(() => users.close());
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
    opened.push(() => server.close());
    const port = await server.listen(config.port);
    logger.info({ port }, 'auth subgraph listening');
    return {
      name: 'auth',
      port,
      url: `http://localhost:${port}/graphql`,
      grantAdmin: (email) => grantAdmin(em.fork(), normalizeEmail(email)),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
