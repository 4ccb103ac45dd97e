import path from 'node:path';
import {
  createTokenVerifier,
  loadLocalSecret,
  startSubgraph,
  type RunningService,
  type SubgraphDeps,
  type SubgraphSpec,
} from '@dorandoran/service-kit';
import { accountEventHandlers } from './accountEvents';
import { createBackgroundTasks } from './background';
import type { AuthConfig } from './config';
import { createContext, type AuthServices, type Context } from './context';
import { normalizeEmail } from './credentials';
import { entities } from './entities';
import { createLoginGuard } from './loginGuard';
import { createMailer, type Mailer } from './mailer';
import { migrations } from './migrations';
import { createPasswordHasher } from './passwords';
import { permissions } from './permissions';
import { createResetCodes } from './resetCodes';
import { resolvers } from './resolvers';
import { startRevocationRefill } from './revocationRefill';
import { grantAdmin, type GrantAdminResult } from './roles';
import { ensureServiceAccount } from './serviceAccount';
import { sessionCookiePlugin } from './sessionCookie';
import { createSessions } from './sessions';
import { jwksRoute, loadSigningKeys, type SigningKeys } from './signingKeys';
import { createAccessTokenIssuer } from './tokens';
import { createUsersClient } from './usersClient';

export interface AuthDeps extends SubgraphDeps {
  /** Where reset codes are mailed (tests). @default as MAIL_TRANSPORT says */
  mailer?: Mailer;
}

export interface AuthService extends RunningService {
  /** Gives ADMIN to the account with this email, as `npm run admin:create` does (tests and launchers use it). */
  grantAdmin(email: string): Promise<GrantAdminResult>;
}

/** What auth builds once: the resolvers' services, and the signing keys its tokens and JWKS come from. */
interface AuthParts {
  auth: AuthServices;
  keys: SigningKeys;
}

/**
 * The auth subgraph, declared: accounts, sessions and tokens, with its own token verifier and the
 * JWKS route the other services verify against. The service kit's startSubgraph wires it.
 */
export const authSubgraph: SubgraphSpec<AuthConfig, AuthDeps, AuthParts, Context, Pick<AuthService, 'grantAdmin'>> = {
  name: 'auth',
  schema: path.join(__dirname, '..', 'schema.graphql'),
  resolvers,
  permissions,
  entities,
  migrations,
  async services({ config, deps, logger, em, routerSecret, events, onClose }) {
    const users = createUsersClient({ url: config.usersUrl, timeoutMs: config.usersTimeoutMs, routerSecret, logger });
    onClose(() => users.close());
    if (config.mode === 'production' && config.mail.transport === 'log') {
      logger.warn('MAIL_TRANSPORT=log: password reset mails, codes included, go to the log');
    }
    const background = createBackgroundTasks(logger);
    // Closed after the server and before the database, so reset codes in flight are stored and mailed.
    onClose(() => background.settled());
    const keys = await loadSigningKeys(em.fork());
    const passwords = createPasswordHasher(config.passwordHash);
    const auth: AuthServices = {
      passwords,
      sessions: createSessions({
        issueAccessToken: createAccessTokenIssuer({ keys, issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: config.accessTokenTtlSeconds }),
        revocations: deps.revocations,
        accessTokenTtlSeconds: config.accessTokenTtlSeconds,
        refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
        reuseGraceSeconds: config.refreshReuseGraceSeconds,
        // Records auth.logged_in with the session that causes it.
        events,
        logger,
      }),
      loginGuard: createLoginGuard(config.loginLockout),
      resetCodes: createResetCodes({ passwords, mailer: deps.mailer ?? createMailer(config.mail, logger), ttlSeconds: config.resetCodeTtlSeconds, background }),
      users,
      revocations: deps.revocations,
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    };
    if (config.serviceAccountPassword || config.mode === 'development') {
      const password = await loadLocalSecret('service-account-password', config.serviceAccountPassword, config.dataDir);
      await ensureServiceAccount(em.fork(), passwords, password);
    }
    // Writes the shared revocation list back from this database whenever Redis has lost it.
    const refill = await startRevocationRefill({ em, revocations: deps.revocations, refreshTokenTtlSeconds: config.refreshTokenTtlSeconds, logger });
    onClose(() => refill.close());
    return { auth, keys };
  },
  context: (em, { auth }, identity) => createContext(em, auth, identity),
  // Follows users' account events: suspension and deletion end sessions.
  handlers: ({ auth }, { config, deps }) =>
    accountEventHandlers({ sessions: auth.sessions, revocations: deps.revocations, refreshTokenTtlSeconds: config.refreshTokenTtlSeconds }),
  // auth verifies its own tokens with the keys it signs them with, not through its JWKS route.
  verifier: ({ keys }, { config, deps }) =>
    createTokenVerifier({ keys: keys.verificationKeys, issuer: config.jwtIssuer, audience: config.jwtAudience, revocations: deps.revocations }),
  routes: ({ keys }) => [jwksRoute(keys)],
  plugins: () => [sessionCookiePlugin()],
  running: (_parts, { em }) => ({ grantAdmin: (email) => grantAdmin(em.fork(), normalizeEmail(email)) }),
};

/** Opens and migrates the auth database, loads (or makes) the signing key, then serves the subgraph on config.port. */
export function startAuthService(config: AuthConfig, deps: AuthDeps): Promise<AuthService> {
  return startSubgraph(authSubgraph, config, deps);
}
