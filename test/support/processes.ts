import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './infra';

/**
 * The supergraph as it runs in production: every service its own process (`node --import tsx
 * <service>/src/index.ts`, what `npm run start:<service>` runs, minus tsx's wrapper process so
 * that a signal reaches the service itself), sharing one Redis. The database follows
 * DATABASE_URL: a fresh database per service on that server (dropped by close()), or embedded
 * PGlite under a temporary DATA_DIR per process.
 */

export const SERVICE_NAMES = ['auth', 'users', 'chat', 'store', 'batch', 'router'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY: Record<ServiceName, string> = {
  auth: 'subgraphs/auth/src/index.ts',
  users: 'subgraphs/users/src/index.ts',
  chat: 'subgraphs/chat/src/index.ts',
  store: 'subgraphs/store/src/index.ts',
  batch: 'subgraphs/batch/src/index.ts',
  router: 'gateway/src/index.ts',
};

export interface ServiceProcess {
  name: ServiceName;
  /** The GraphQL endpoint. */
  url: string;
  readonly running: boolean;
  /** Spawns the process and resolves once its /ready answers 200. */
  start(): Promise<void>;
  /** Sends the signal and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ProcessStack {
  routerUrl: string;
  /** What the router sends subgraphs (`x-router-secret`): lets a test call a subgraph as another router instance would. */
  routerSecret: string;
  services: Record<ServiceName, ServiceProcess>;
  /** Where every process's stdout and stderr go. */
  logFile: string;
  /** The log so far: to show when a test fails. */
  readLog(): Promise<string>;
  close(): Promise<void>;
}

/** Children of this test process, killed however it ends. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function startProcessStack(options: { redisUrl: string; env?: Record<string, string> }): Promise<ProcessStack> {
  const ports = Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (name) => [name, await freePort()] as const))) as Record<ServiceName, number>;
  const url = (name: ServiceName) => `http://127.0.0.1:${ports[name]}/graphql`;
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-faults-'));
  const logFile = path.join(tempDir, 'services.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const databases = serverDatabases();

  const common: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    REDIS_URL: options.redisUrl,
    ROUTER_SECRET: randomBytes(24).toString('base64url'),
    SERVICE_ACCOUNT_PASSWORD: randomBytes(24).toString('base64url'),
    AUTH_PORT: String(ports.auth),
    USERS_PORT: String(ports.users),
    CHAT_PORT: String(ports.chat),
    STORE_PORT: String(ports.store),
    BATCH_PORT: String(ports.batch),
    ROUTER_PORT: String(ports.router),
    AUTH_URL: url('auth'),
    USERS_URL: url('users'),
    CHAT_URL: url('chat'),
    STORE_URL: url('store'),
    BATCH_URL: url('batch'),
    ROUTER_URL: url('router'),
    AUTH_JWKS_URL: `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`,
    PASSWORD_HASH_MEMORY_KIB: '8192',
    PASSWORD_HASH_TIME_COST: '1',
    // One test address sends everything: budgets out of the way.
    RATE_LIMIT_IP: '100000',
    RATE_LIMIT_USER: '100000',
    RATE_LIMIT_AUTH: '100000',
    RATE_LIMIT_COST: '100000000',
    SAMPLE_CATALOG: 'true',
    ...databases.env,
    ...options.env,
  };

  const services = Object.fromEntries(
    SERVICE_NAMES.map((name) => [name, serviceProcess(name, url(name), { ...common, DATA_DIR: path.join(tempDir, name) }, log)]),
  ) as Record<ServiceName, ServiceProcess>;

  const stack: ProcessStack = {
    routerUrl: url('router'),
    routerSecret: common.ROUTER_SECRET,
    services,
    logFile,
    readLog: () => readFile(logFile, 'utf8').catch(() => ''),
    async close() {
      await Promise.all(Object.values(services).map((service) => service.kill('SIGKILL')));
      await new Promise((resolve) => log.end(resolve));
      await databases.drop();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
  try {
    // auth first: it makes the service account batch signs in with, and serves the keys the rest verify with.
    await services.auth.start();
    await Promise.all(SERVICE_NAMES.filter((name) => name !== 'auth').map((name) => services[name].start()));
  } catch (error) {
    const output = await stack.readLog();
    await stack.close();
    throw new Error(`${(error as Error).message}\n--- service log ---\n${output.slice(-8000)}`);
  }
  return stack;
}

function serviceProcess(name: ServiceName, url: string, env: Record<string, string>, log: WriteStream): ServiceProcess {
  let child: ChildProcess | undefined;
  const ready = url.replace(/\/graphql$/, '/ready');
  const service: ServiceProcess = {
    name,
    url,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      if (service.running) throw new Error(`${name} is already running`);
      const spawned = spawn(process.execPath, ['--import', 'tsx', ENTRY[name]], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      child = spawned;
      children.add(spawned);
      const prefix = (chunk: Buffer) => chunk.toString().replace(/^(?=.)/gm, `[${name}] `);
      spawned.stdout!.on('data', (chunk: Buffer) => log.write(prefix(chunk)));
      spawned.stderr!.on('data', (chunk: Buffer) => log.write(prefix(chunk)));
      spawned.once('exit', (code, signal) => {
        children.delete(spawned);
        log.write(`[${name}] exited (${signal ?? code})\n`);
      });
      const deadline = Date.now() + 90_000;
      while (!(await isReady(ready))) {
        if (spawned.exitCode !== null) throw new Error(`${name} exited with ${spawned.exitCode} while starting`);
        if (Date.now() > deadline) throw new Error(`${name} not ready within 90 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async kill(signal = 'SIGKILL') {
      const running = child;
      if (!running || !service.running) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill(signal);
      await exited;
    },
  };
  return service;
}

const isReady = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2000) }).then((response) => response.ok, () => false);

/** The test runner's environment without what would point a child elsewhere (jest's NODE_OPTIONS, the shared Redis and database). */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key !== 'NODE_OPTIONS' && key !== 'REDIS_URL' && !key.endsWith('DATABASE_URL')),
  );
  return { ...inherited, ...env };
}

/** With DATABASE_URL: one fresh database per subgraph on that server, named for this stack, so test files running side by side never share one. */
function serverDatabases(): { env: Record<string, string>; drop(): Promise<void> } {
  const server = process.env.DATABASE_URL;
  if (!server) return { env: {}, drop: async () => undefined };
  const prefix = `fault_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {};
  const names: string[] = [];
  for (const service of SERVICE_NAMES.filter((name) => name !== 'router')) {
    const url = new URL(server);
    url.pathname = `/${prefix}_${service}`;
    env[`${service.toUpperCase()}_DATABASE_URL`] = url.toString();
    names.push(`${prefix}_${service}`);
  }
  return {
    env,
    async drop() {
      const admin = new Client({ connectionString: server });
      await admin.connect();
      try {
        for (const name of names) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
