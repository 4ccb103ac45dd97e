import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { compiledServices } from './compiledServices';
import { freePort } from './infra';

/**
 * The supergraph as it runs in production: every service its own process, started from its compiled
 * bundle as the image starts it (`node <build>/<service>/src/index.js`, compiledServices.ts), sharing
 * one Redis. The database follows DATABASE_URL: a fresh database per service on that server (dropped
 * by close()), or embedded PGlite under a temporary DATA_DIR per process.
 */

export const SERVICE_NAMES = ['auth', 'users', 'chat', 'store', 'batch', 'router'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Each service's entry point, as `npm run start:<service>` runs it. */
export const SERVICE_ENTRY: Record<ServiceName, string> = {
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
  /** The router's URL as clients are given it: the first router's, or what `front` put before the routers. */
  routerUrl: string;
  /** What the router sends subgraphs (`x-router-secret`): lets a test call a subgraph as another router instance would. */
  routerSecret: string;
  /** The first instance of each service. */
  services: Record<ServiceName, ServiceProcess>;
  /** Every instance of each service, in the order they were made. */
  instances: Record<ServiceName, ServiceProcess[]>;
  /** The environment every process got (each instance's own port and DATA_DIR aside). */
  env: Record<string, string>;
  /**
   * One more instance of the service, not yet started: on a port of its own, with the service's database
   * and environment, as another machine would run it (a rolling restart's new pod). Closed with the stack.
   */
  addInstance(name: ServiceName): Promise<ServiceProcess>;
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

export interface ProcessStackOptions {
  redisUrl: string;
  env?: Record<string, string>;
  /** Instances per service, started together (1 when not given). */
  replicas?: Partial<Record<ServiceName, number>>;
  /**
   * What stands before a service's instances (a load balancer): given their URLs, answers the URL every
   * other process is given for the service. Without it they are given the first instance's.
   */
  front?: (name: ServiceName, instanceUrls: string[]) => Promise<string>;
  /** How long a process may take to answer /ready after it is spawned (90 s unless given). */
  readyTimeoutMs?: number;
}

/** The variable each service reads its port from. */
const portVariable = (name: ServiceName) => `${name.toUpperCase()}_PORT`;
const instanceUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;

export async function startProcessStack(options: ProcessStackOptions): Promise<ProcessStack> {
  // Embedded PGlite is one process's own: replicas share a database only on a server.
  if (!process.env.DATABASE_URL && Object.values(options.replicas ?? {}).some((count) => count > 1)) throw new Error('replicas need DATABASE_URL (PostgreSQL)');
  const build = await compiledServices();
  const instancePorts = Object.fromEntries(
    await Promise.all(SERVICE_NAMES.map(async (name) => [name, await Promise.all(Array.from({ length: options.replicas?.[name] ?? 1 }, () => freePort()))] as const)),
  ) as Record<ServiceName, number[]>;
  const urls = Object.fromEntries(
    await Promise.all(
      SERVICE_NAMES.map(async (name) => {
        const own = instancePorts[name].map(instanceUrl);
        return [name, options.front ? await options.front(name, own) : own[0]] as const;
      }),
    ),
  ) as Record<ServiceName, string>;
  const url = (name: ServiceName) => urls[name];
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
    AUTH_URL: url('auth'),
    USERS_URL: url('users'),
    CHAT_URL: url('chat'),
    STORE_URL: url('store'),
    BATCH_URL: url('batch'),
    ROUTER_URL: url('router'),
    AUTH_JWKS_URL: new URL('/.well-known/jwks.json', url('auth')).toString(),
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

  const instances = Object.fromEntries(SERVICE_NAMES.map((name) => [name, [] as ServiceProcess[]])) as Record<ServiceName, ServiceProcess[]>;
  const makeInstance = (name: ServiceName, port: number) => {
    const index = instances[name].length;
    const env = { ...common, [portVariable(name)]: String(port), DATA_DIR: path.join(tempDir, index === 0 ? name : `${name}-${index}`) };
    const entry = path.join(build, SERVICE_ENTRY[name].replace(/\.ts$/, '.js'));
    const instance = serviceProcess(name, entry, instanceUrl(port), env, log, index === 0 ? name : `${name}-${index}`, options.readyTimeoutMs ?? 90_000);
    instances[name].push(instance);
    return instance;
  };
  for (const name of SERVICE_NAMES) for (const port of instancePorts[name]) makeInstance(name, port);
  const services = Object.fromEntries(SERVICE_NAMES.map((name) => [name, instances[name][0]])) as Record<ServiceName, ServiceProcess>;

  const stack: ProcessStack = {
    routerUrl: url('router'),
    routerSecret: common.ROUTER_SECRET,
    services,
    instances,
    env: common,
    addInstance: async (name) => makeInstance(name, await freePort()),
    logFile,
    readLog: () => readFile(logFile, 'utf8').catch(() => ''),
    async close() {
      await Promise.all(Object.values(instances).flat().map((service) => service.kill('SIGKILL')));
      await new Promise((resolve) => log.end(resolve));
      await databases.drop();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
  try {
    // auth first: it makes the service account batch signs in with, and serves the keys the rest verify with.
    await Promise.all(instances.auth.map((instance) => instance.start()));
    await Promise.all(SERVICE_NAMES.filter((name) => name !== 'auth').flatMap((name) => instances[name].map((instance) => instance.start())));
  } catch (error) {
    const output = await stack.readLog();
    await stack.close();
    throw new Error(`${(error as Error).message}\n--- service log ---\n${output.slice(-8000)}`);
  }
  return stack;
}

function serviceProcess(name: ServiceName, entry: string, url: string, env: Record<string, string>, log: WriteStream, label: string, readyTimeoutMs: number): ServiceProcess {
  let child: ChildProcess | undefined;
  const ready = url.replace(/\/graphql$/, '/ready');
  const service: ServiceProcess = {
    name,
    url,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      if (service.running) throw new Error(`${label} is already running`);
      // Source maps: a stack in the log names the TypeScript file and line.
      const spawned = spawn(process.execPath, ['--enable-source-maps', entry], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      child = spawned;
      children.add(spawned);
      const prefix = (chunk: Buffer) => chunk.toString().replace(/^(?=.)/gm, `[${label}] `);
      spawned.stdout!.on('data', (chunk: Buffer) => log.write(prefix(chunk)));
      spawned.stderr!.on('data', (chunk: Buffer) => log.write(prefix(chunk)));
      spawned.once('exit', (code, signal) => {
        children.delete(spawned);
        log.write(`[${label}] exited (${signal ?? code})\n`);
      });
      const deadline = Date.now() + readyTimeoutMs;
      while (!(await isReady(ready))) {
        if (spawned.exitCode !== null) throw new Error(`${label} exited with ${spawned.exitCode} while starting`);
        if (Date.now() > deadline) throw new Error(`${label} not ready within ${readyTimeoutMs / 1000} s`);
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
