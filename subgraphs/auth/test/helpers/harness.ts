import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger, createMemoryRevocationStore, type RevocationStore, type RunningService } from '@dorandoran/service-kit';
import { bearer, post, type GraphQLResponse } from '../../../../test/support/graphql';
import { freePort, testDatabase } from '../../../../test/support/infra';
import { loadUsersConfig } from '../../../users/src/config';
import { startUsersService } from '../../../users/src/service';
import { loadAuthConfig } from '../../src/config';
import type { Mailer, MailMessage } from '../../src/mailer';
import { startAuthService, type AuthService } from '../../src/service';

export interface SignedIn {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  headers: { authorization: string };
}

export interface AuthHarness {
  auth: AuthService;
  url: string;
  /** Headers that make a request trusted, as the router's are. */
  trusted: Record<string, string>;
  mail: MailMessage[];
  revocations: RevocationStore;
  /** POSTs to the auth subgraph itself (not through a router). */
  call(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse>;
  signUp(overrides?: Partial<{ email: string; password: string; nickname: string }>): Promise<SignedIn>;
  logIn(email: string, password: string): Promise<GraphQLResponse>;
  /** Signs up, grants ADMIN as admin:create does, and signs in again for a token with the admin scope. */
  signUpAdmin(): Promise<SignedIn>;
  close(): Promise<void>;
}

export const SIGN_UP = `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { accessToken refreshToken expiresIn user { id email roles lastLoginAt } }
}`;
export const LOG_IN = `mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { accessToken refreshToken expiresIn user { id email roles lastLoginAt } }
}`;
export const REFRESH = `mutation Refresh($token: String!) {
  refreshSession(refreshToken: $token) { accessToken refreshToken expiresIn user { id } }
}`;

export const uniqueEmail = (prefix = 'user') => `${prefix}.${randomBytes(4).toString('hex')}@example.com`;

export interface HarnessOptions {
  env?: Record<string, string>;
  /** The real users subgraph, or a URL where nothing answers. @default 'real' */
  users?: 'real' | 'down';
  /** Keep auth's database on disk in this DATA_DIR (embedded PGlite) instead of a fresh one. */
  embeddedDataDir?: string;
  /** Where mail goes instead of `mail`: this mailer, or the one MAIL_TRANSPORT picks. */
  mailer?: Mailer | 'from config';
}

/**
 * Starts the auth subgraph on port 0 with a fresh database (a new database on DATABASE_URL's
 * server, else in-memory PGlite), a cheap argon2 cost, and mail captured in `mail`.
 */
export async function startAuthHarness(options: HarnessOptions = {}): Promise<AuthHarness> {
  const usersPort = await freePort();
  const dataDir = options.embeddedDataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'auth-test-')));
  const secret = randomBytes(16).toString('hex');
  const logger = createLogger('auth-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const revocations = createMemoryRevocationStore();
  const mail: MailMessage[] = [];
  const capture: Mailer = { send: async (message) => void mail.push(message) };
  const auth = await startAuthService(
    loadAuthConfig({
      AUTH_PORT: '0',
      ROUTER_SECRET: secret,
      DATA_DIR: dataDir,
      USERS_URL: `http://127.0.0.1:${usersPort}/graphql`,
      USERS_TIMEOUT_MS: '1000',
      PASSWORD_HASH_MEMORY_KIB: '1024',
      PASSWORD_HASH_TIME_COST: '1',
      ...options.env,
    }),
    {
      revocations,
      logger,
      mailer: options.mailer === 'from config' ? undefined : (options.mailer ?? capture),
      database: options.embeddedDataDir ? { dataDir } : testDatabase('auth'),
    },
  );
  let users: RunningService | undefined;
  if ((options.users ?? 'real') === 'real') {
    const config = loadUsersConfig({
      USERS_PORT: String(usersPort),
      ROUTER_SECRET: secret,
      DATA_DIR: dataDir,
      AUTH_URL: auth.url,
      AUTH_JWKS_URL: auth.url.replace('/graphql', '/.well-known/jwks.json'),
    });
    users = await startUsersService(config, { revocations, logger, database: testDatabase('users') });
  }
  const trusted = { 'x-router-secret': secret };
  const call: AuthHarness['call'] = (query, variables = {}, headers = {}) => post(auth.url, query, variables, headers);

  const harness: AuthHarness = {
    auth,
    url: auth.url,
    trusted,
    mail,
    revocations,
    call,
    async signUp(overrides = {}) {
      const input = { email: uniqueEmail(), password: 'correct horse 42', nickname: 'Mina Kim', ...overrides };
      const response = await call(SIGN_UP, { input }, trusted);
      if (!response.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(response.errors)}`);
      const { accessToken, refreshToken, user } = response.data.signUp;
      return { id: user.id, email: user.email, password: input.password, accessToken, refreshToken, headers: bearer(accessToken) };
    },
    logIn: (email, password) => call(LOG_IN, { email, password }, trusted),
    async signUpAdmin() {
      const user = await harness.signUp({ nickname: 'Admin' });
      expect(await auth.grantAdmin(user.email)).toBe('granted');
      const { accessToken, refreshToken } = (await harness.logIn(user.email, user.password)).data!.logIn;
      return { ...user, accessToken, refreshToken, headers: bearer(accessToken) };
    },
    async close() {
      await users?.close();
      await auth.close();
      if (!options.embeddedDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The `extensions.code` of the first error. */
export const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;
