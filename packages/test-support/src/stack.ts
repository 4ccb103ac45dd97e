import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createEventTransport,
  createLogger,
  createRevocationStore,
  type RunningService,
} from '@dorandoran/service-kit';
import { loadAuthConfig } from '@dorandoran/auth/config';
import { startAuthService } from '@dorandoran/auth/service';
import { loadUsersConfig } from '@dorandoran/users/config';
import { startUsersService } from '@dorandoran/users/service';
import { loadChatConfig } from '@dorandoran/chat/config';
import { startChatService } from '@dorandoran/chat/service';
import { loadStoreConfig } from '@dorandoran/store/config';
import { startStoreService, type RunningStore } from '@dorandoran/store/service';
import { createSandboxProvider, type SandboxProvider } from '@dorandoran/store/payments';
import { loadBatchConfig } from '@dorandoran/batch/config';
import { startBatchService } from '@dorandoran/batch/service';
import { loadRouterConfig } from '@dorandoran/gateway/config';
import { startRouterService } from '@dorandoran/gateway/service';
import type { Mailer } from '@dorandoran/auth/mailer';
import { dropTestDatabase, freePort, testDatabase } from './infra';

export interface SentMail {
  to: string;
  subject: string;
  text: string;
}

export interface Stack {
  routerUrl: string;
  authUrl: string;
  usersUrl: string;
  chatUrl: string;
  storeUrl: string;
  batchUrl: string;
  /** The payment provider store uses: the sandbox, whose charges and refunds tests count (a new one after restartStore). */
  payments: SandboxProvider;
  routerSecret: string;
  /** With DATABASE_URL: chat's database on that server, for a test that holds its locks from outside. */
  chatDatabaseUrl?: string;
  /** Mail the auth subgraph sent (password reset codes). */
  mail: SentMail[];
  env: Record<string, string>;
  services: Record<Exclude<ServiceName, 'store'> | 'router', RunningService> & { store: RunningStore };
  /** Makes the account with this email an administrator, as `npm run admin:create` does. */
  grantAdmin(email: string): Promise<void>;
  stopService(name: ServiceName | 'router'): Promise<void>;
  /**
   * Stops the store and starts it again on its port and database with a new payment sandbox: what
   * survives is what the store keeps in its database, as after a real restart. `whileDown` runs
   * between the two (to keep the store down until something has happened). Embedded, it needs the
   * stack started with `restartableStore`.
   */
  restartStore(whileDown?: () => Promise<void>): Promise<RunningStore>;
  /**
   * Another chat instance on the first one's database (real PostgreSQL only: an in-memory PGlite
   * cannot be shared), as a second machine would run it. Closed with the stack.
   */
  startChat(): Promise<RunningService>;
  /** Another batch instance (real PostgreSQL only, as startChat); `env` may change its settings. Closed with the stack. */
  startBatch(env?: Record<string, string>): Promise<RunningService>;
  /** Another router instance; `env` may point it elsewhere (CHAT_URL, say). Closed with the stack. */
  startRouter(env?: Record<string, string>): Promise<RunningService>;
  close(): Promise<void>;
}

type ServiceName = 'auth' | 'users' | 'chat' | 'store' | 'batch';

export interface StackOptions {
  /**
   * Embedded: keep the store's PGlite in the stack's data directory instead of in memory, so that
   * restartStore finds its data. Only for tests that restart it: a cluster on disk is written file by
   * file and migrated from scratch, about 2 s of CPU more per stack. On PostgreSQL the store's database
   * outlives a restart either way.
   */
  restartableStore?: boolean;
}

/** Starts auth, users, chat, store, batch and the router as real HTTP servers on free ports, each on its own fresh database. */
export async function startStack(extraEnv: Record<string, string> = {}, options: StackOptions = {}): Promise<Stack> {
  const [authPort, usersPort, chatPort, storePort, batchPort, routerPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-test-'));
  const routerSecret = randomBytes(24).toString('base64url');
  const env: Record<string, string> = {
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_DIR: dataDir,
    ROUTER_SECRET: routerSecret,
    AUTH_PORT: String(authPort),
    USERS_PORT: String(usersPort),
    CHAT_PORT: String(chatPort),
    STORE_PORT: String(storePort),
    BATCH_PORT: String(batchPort),
    ROUTER_PORT: String(routerPort),
    AUTH_URL: `http://127.0.0.1:${authPort}/graphql`,
    USERS_URL: `http://127.0.0.1:${usersPort}/graphql`,
    CHAT_URL: `http://127.0.0.1:${chatPort}/graphql`,
    STORE_URL: `http://127.0.0.1:${storePort}/graphql`,
    BATCH_URL: `http://127.0.0.1:${batchPort}/graphql`,
    ROUTER_URL: `http://127.0.0.1:${routerPort}/graphql`,
    PAYMENT_TIMEOUT_MS: '500',
    AUTH_JWKS_URL: `http://127.0.0.1:${authPort}/.well-known/jwks.json`,
    PASSWORD_HASH_MEMORY_KIB: '8192',
    PASSWORD_HASH_TIME_COST: '1',
    // Suites sign up many users and send hundreds of operations from one address; the rate-limit
    // tests set their own budgets.
    RATE_LIMIT_IP: '100000',
    RATE_LIMIT_USER: '100000',
    RATE_LIMIT_AUTH: '100000',
    RATE_LIMIT_COST: '100000000',
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    // Production mode's metrics port (9090) would collide between stacks side by side.
    ...(extraEnv.NODE_ENV === 'production' ? { METRICS_PORT: '0' } : {}),
    ...extraEnv,
  };
  const logger = createLogger('test', env.LOG_LEVEL);
  const revocations = createRevocationStore(env.REDIS_URL, logger);
  // Its own streams on a shared Redis: stacks of test files running side by side must not take each other's events.
  const events = createEventTransport(env.REDIS_URL, logger, { prefix: `test:${randomBytes(6).toString('hex')}:events` });
  const shared = { revocations: revocations.store, events };
  // The routers of one stack share budgets and persisted queries; other stacks on the same Redis do not.
  const redisKeyPrefix = `test:${randomBytes(6).toString('hex')}:router`;
  const mail: SentMail[] = [];
  const mailer: Mailer = { send: async (message) => void mail.push(message) };
  const chatDatabase = testDatabase('chat');
  // Kept past one store's close (restartStore): on a server dropped with the stack; embedded, on disk in
  // the stack's data directory when restartable, otherwise in memory like the other subgraphs'.
  const storeDatabase = testDatabase('store');
  const storeTarget = storeDatabase.databaseUrl ? { ...storeDatabase, dropOnClose: false } : options.restartableStore ? { dataDir } : storeDatabase;
  const restartable = storeDatabase.databaseUrl !== undefined || options.restartableStore === true;
  const startStore = (paymentProvider: SandboxProvider) =>
    startStoreService(loadStoreConfig(env), { ...shared, logger, database: storeTarget, paymentProvider });
  const payments = createSandboxProvider({ timeoutMs: Number(env.PAYMENT_TIMEOUT_MS) });
  const batchDatabase = testDatabase('batch');
  // On PostgreSQL the subgraphs start side by side: each creates and migrates its own database,
  // mostly waiting on the server, and none calls another while starting (at load average 12–17, 2.5–6 s
  // for the stack instead of 5–11 s one after the other). Embedded PGlite runs in this thread, so
  // there they start one after the other as before. Then the router, in front of them.
  // A failed start closes what did start, so no server is left holding the jest worker open.
  const giveUp = async (started: RunningService[]) => {
    await Promise.allSettled(started.map((service) => service.close()));
    await Promise.allSettled([events.close(), revocations.close(), dropTestDatabase(storeDatabase)]);
  };
  const subgraphStarts = [
    () => startAuthService(loadAuthConfig(env), { ...shared, logger, mailer, database: testDatabase('auth') }),
    () => startUsersService(loadUsersConfig(env), { ...shared, logger, database: testDatabase('users') }),
    () => startChatService(loadChatConfig(env), { ...shared, logger, database: chatDatabase }),
    () => startStore(payments),
    () => startBatchService(loadBatchConfig(env), { ...shared, logger, database: batchDatabase }),
  ] as const;
  const [auth, users, chat, store, batch] = await allStarted(subgraphStarts, { sideBySide: chatDatabase.databaseUrl !== undefined }, giveUp);
  const [router] = await allStarted([() => startRouterService(loadRouterConfig(env), { ...shared, logger, redisKeyPrefix })], { sideBySide: false }, (started) =>
    giveUp([...started, batch, store, chat, users, auth]),
  );
  const open = new Map<string, RunningService>([['router', router], ['batch', batch], ['store', store], ['chat', chat], ['users', users], ['auth', auth]]);
  const extra: RunningService[] = [];
  const startExtra = async (start: Promise<RunningService>) => {
    const service = await start;
    extra.push(service);
    return service;
  };
  const stack: Stack = {
    routerUrl: router.url,
    authUrl: auth.url,
    usersUrl: users.url,
    chatUrl: chat.url,
    storeUrl: store.url,
    batchUrl: batch.url,
    payments,
    routerSecret,
    chatDatabaseUrl: chatDatabase.databaseUrl,
    mail,
    env,
    services: { auth, users, chat, store, batch, router },
    async grantAdmin(email) {
      const result = await auth.grantAdmin(email);
      if (result !== 'granted' && result !== 'already admin') throw new Error(`could not make ${email} an admin: ${result}`);
    },
    async stopService(name) {
      await open.get(name)?.close();
      open.delete(name);
    },
    async restartStore(whileDown) {
      if (!restartable) throw new Error('restartStore on embedded PGlite needs startStack(env, { restartableStore: true }): an in-memory store loses its data when it stops');
      await stack.stopService('store');
      await whileDown?.();
      stack.payments = createSandboxProvider({ timeoutMs: Number(env.PAYMENT_TIMEOUT_MS) });
      const restarted = await startStore(stack.payments);
      open.set('store', restarted);
      stack.services.store = restarted;
      return restarted;
    },
    async startChat() {
      if (!chatDatabase.databaseUrl) throw new Error('a second chat instance needs DATABASE_URL (PostgreSQL)');
      const config = loadChatConfig({ ...env, CHAT_PORT: String(await freePort()) });
      return startExtra(startChatService(config, { ...shared, logger, database: { ...chatDatabase, dropOnClose: false } }));
    },
    async startBatch(overrides = {}) {
      if (!batchDatabase.databaseUrl) throw new Error('a second batch instance needs DATABASE_URL (PostgreSQL)');
      const config = loadBatchConfig({ ...env, BATCH_PORT: String(await freePort()), ...overrides });
      return startExtra(startBatchService(config, { ...shared, logger, database: { ...batchDatabase, dropOnClose: false } }));
    },
    async startRouter(overrides = {}) {
      const config = loadRouterConfig({ ...env, ROUTER_PORT: String(await freePort()), ...overrides });
      return startExtra(startRouterService(config, { ...shared, logger, redisKeyPrefix }));
    },
    async close() {
      for (const service of extra.splice(0).reverse()) await service.close();
      for (const service of open.values()) await service.close();
      open.clear();
      await events.close();
      await revocations.close();
      await dropTestDatabase(storeDatabase);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

/**
 * Runs the starts, all at once or one after the other; if one fails, hands the services that did
 * start to `giveUp` (after the others have settled) and throws the first failure.
 */
async function allStarted<T extends readonly RunningService[]>(
  starts: readonly [...{ [K in keyof T]: () => Promise<T[K]> }],
  { sideBySide }: { sideBySide: boolean },
  giveUp: (started: RunningService[]) => Promise<void>,
): Promise<T> {
  const settled: PromiseSettledResult<RunningService>[] = [];
  if (sideBySide) {
    settled.push(...(await Promise.allSettled(starts.map((start) => start()))));
  } else {
    for (const start of starts) {
      const [result] = await Promise.allSettled([start()]);
      settled.push(result);
      if (result.status === 'rejected') break;
    }
  }
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (!failure) return started as unknown as T;
  await giveUp(started);
  throw failure.reason;
}
