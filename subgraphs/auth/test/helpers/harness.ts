import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import {
  createEventTransport,
  createLogger,
  createMemoryRevocationStore,
  type EventTransport,
  type RevocationStore,
  type RunningService,
} from '@dorandoran/service-kit';
import { bearer, post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { freePort, testDatabase } from '@dorandoran/test-support/infra';
import { eventually } from '@dorandoran/test-support/ws';
import { loadUsersConfig } from '@dorandoran/users/config';
import { startUsersService } from '@dorandoran/users/service';
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
  /**
   * Announces a status change as users does (a user.status_changed event, or user.deleted), and
   * resolves once auth has applied it. `occurredAt` defaults to now.
   */
  announceStatus(userId: string, to: 'ACTIVE' | 'SUSPENDED' | 'DELETED', occurredAt?: Date): Promise<void>;
  /** POSTs to the auth subgraph itself, with the router secret as the router sends it (and `headers`). */
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
  /** The revocation list auth and users share. @default an in-process one */
  revocations?: RevocationStore;
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
  const revocations = options.revocations ?? createMemoryRevocationStore();
  const events = createEventTransport(undefined, logger);
  const applied = new Set<string>();
  // Notes which events auth's consumer has applied and committed, so tests can wait for them.
  const observed: EventTransport = {
    ...events,
    subscribe: (subscription) =>
      events.subscribe({
        ...subscription,
        handle: async (event) => {
          await subscription.handle(event);
          applied.add((event as { id: string }).id);
        },
      }),
  };
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
      events: observed,
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
    users = await startUsersService(config, { revocations, events: observed, logger, database: testDatabase('users') });
  }
  const trusted = { 'x-router-secret': secret };
  const call: AuthHarness['call'] = (query, variables = {}, headers = {}) => post(auth.url, query, variables, { ...trusted, ...headers });

  const harness: AuthHarness = {
    auth,
    url: auth.url,
    trusted,
    mail,
    revocations,
    async announceStatus(userId, to, occurredAt = new Date()) {
      const envelope = { version: 1, occurredAt: occurredAt.toISOString(), producer: 'users', subject: userId, data: { userId } };
      const announced = [{ ...envelope, id: uuidv7(), type: 'user.status_changed' as const, data: { userId, from: 'ACTIVE' as const, to } }];
      if (to === 'DELETED') announced.push({ ...envelope, id: uuidv7(), type: 'user.deleted' as never, data: { userId } as never });
      await events.publish(announced);
      await eventually(() => announced.every((event) => applied.has(event.id)), `auth applied ${to} for ${userId}`);
    },
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
      await events.close();
      if (!options.embeddedDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The `extensions.code` of the first error. */
export const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;
