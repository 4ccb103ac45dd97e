import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyMiddleware } from 'graphql-middleware';
import { parse } from 'graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createSubgraphServer, createTokenVerifier, type EventRecorder, type Logger, type RevocationStore, type SubgraphServer, type ReadinessCheck } from '@dorandoran/service-kit';
import type { BackgroundTasks } from './background';
import type { AuthConfig } from './config';
import { createContext, type AuthServices } from './context';
import { createLoginGuard } from './loginGuard';
import type { Mailer } from './mailer';
import { createPasswordHasher } from './passwords';
import { permissions } from './permissions';
import { createResetCodes } from './resetCodes';
import { resolvers } from './resolvers';
import { sessionCookiePlugin } from './sessionCookie';
import { createSessions } from './sessions';
import { jwksRoute, type SigningKeys } from './signingKeys';
import { createAccessTokenIssuer } from './tokens';
import type { UsersClient } from './usersClient';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface AuthServicesDeps {
  config: AuthConfig;
  keys: SigningKeys;
  revocations: RevocationStore;
  users: UsersClient;
  mailer: Mailer;
  /** Where work the answers must not wait for runs (reset codes after requestPasswordReset). */
  background: BackgroundTasks;
  /** Records auth's events (auth.logged_in) with the session that causes them. */
  events: EventRecorder;
  logger: Logger;
}

/** What the resolvers and the account-event handlers use besides the database; made once per service. */
export function createAuthServices(deps: AuthServicesDeps): AuthServices {
  const { config, logger, revocations } = deps;
  const passwords = createPasswordHasher(config.passwordHash);
  return {
    passwords,
    sessions: createSessions({
      issueAccessToken: createAccessTokenIssuer({
        keys: deps.keys,
        issuer: config.jwtIssuer,
        audience: config.jwtAudience,
        ttlSeconds: config.accessTokenTtlSeconds,
      }),
      revocations,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      events: deps.events,
      logger,
    }),
    loginGuard: createLoginGuard(config.loginLockout),
    resetCodes: createResetCodes({ passwords, mailer: deps.mailer, ttlSeconds: config.resetCodeTtlSeconds, background: deps.background }),
    users: deps.users,
    revocations,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
  };
}

export interface AuthServerDeps {
  config: AuthConfig;
  em: EntityManager;
  keys: SigningKeys;
  routerSecret: string;
  revocations: RevocationStore;
  auth: AuthServices;
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
}

/** The auth subgraph's HTTP server (GraphQL, /health, /.well-known/jwks.json), not yet listening. */
export function createAuthServer(deps: AuthServerDeps): Promise<SubgraphServer> {
  const { config, logger, revocations, auth } = deps;
  return createSubgraphServer({
    name: 'auth',
    typeDefs,
    resolvers,
    protect: (schema) => applyMiddleware(schema, permissions),
    context: (identity) => createContext(deps.em, auth, identity),
    verifier: createTokenVerifier({
      keys: deps.keys.verificationKeys,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      revocations,
    }),
    routerSecret: deps.routerSecret,
    logger,
    mode: config.mode,
    readiness: deps.readiness,
    routes: [jwksRoute(deps.keys)],
    plugins: [sessionCookiePlugin()],
  });
}
