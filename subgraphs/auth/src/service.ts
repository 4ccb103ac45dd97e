import {
  createLogger,
  databaseTarget,
  loadLocalSecret,
  loadRouterSecret,
  createEventRecorder,
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
import { createBackgroundTasks } from './background';
import type { AuthConfig } from './config';
import { normalizeEmail } from './credentials';
import { entities } from './entities';
import { createMailer, type Mailer } from './mailer';
import { migrations } from './migrations';
import { grantAdmin, type GrantAdminResult } from './roles';
import { accountEventHandlers } from './accountEvents';
import { startRevocationRefill } from './revocationRefill';
import { createAuthServer, createAuthServices } from './server';
import { ensureServiceAccount } from './serviceAccount';
import { loadSigningKeys } from './signingKeys';
import { createUsersClient } from './usersClient';

export interface AuthDeps {
  revocations: RevocationStore;
  events: EventTransport;
  logger?: Logger;
  /** Where reset codes are mailed (tests). @default as MAIL_TRANSPORT says */
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
    if (config.mode === 'production' && config.mail.transport === 'log') {
      logger.warn('MAIL_TRANSPORT=log: password reset mails, codes included, go to the log');
    }
    const background = createBackgroundTasks(logger);
    // Closed after the server and before the database, so reset codes in flight are stored and mailed.
    opened.push(() => background.settled());
    const keys = await loadSigningKeys(em.fork());
    const auth = createAuthServices({
      config,
      keys,
      revocations: deps.revocations,
      users,
      mailer: deps.mailer ?? createMailer(config.mail, logger),
      background,
      events: createEventRecorder('auth'),
      logger,
    });
    if (config.serviceAccountPassword || config.mode === 'development') {
      const password = await loadLocalSecret('service-account-password', config.serviceAccountPassword, config.dataDir);
      await ensureServiceAccount(em.fork(), auth.passwords, password);
    }
    // Follows users' account events: suspension and deletion end sessions.
    const events = await startServiceEvents({
      service: 'auth',
      orm: database.orm,
      transport: deps.events,
      logger,
      handlers: accountEventHandlers({ sessions: auth.sessions, revocations: deps.revocations, refreshTokenTtlSeconds: config.refreshTokenTtlSeconds }),
    });
    opened.push(() => events.close());
    // Writes the shared revocation list back from this database whenever Redis has lost it.
    const refill = await startRevocationRefill({ em, revocations: deps.revocations, refreshTokenTtlSeconds: config.refreshTokenTtlSeconds, logger });
    opened.push(() => refill.close());
    const server = await createAuthServer({
      config,
      em,
      keys,
      routerSecret,
      revocations: deps.revocations,
      auth,
      logger,
      readiness: serviceReadiness(database, deps.events),
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
