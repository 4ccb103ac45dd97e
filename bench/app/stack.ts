/**
 * The whole stack as docker compose runs it: auth, users, chat, store, batch and the router, each
 * its own `node --import tsx <entry>` process in production mode, on fresh PostgreSQL databases
 * (one per service, dropped by close()) and the given Redis. Every process loads the service kit's
 * statement counter, so the bench can read how many SQL statements each one sent.
 */
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { freePort } from '@dorandoran/test-support/infra';
import { SERVICE_ENTRY, SERVICE_NAMES, type ServiceName } from '@dorandoran/test-support/processes';
import { ROOT, sampleProcess, startNode, stop, type Started } from './processes';

export const SERVICES = SERVICE_NAMES;
export type { ServiceName };
export const DATABASE_SERVICES = SERVICES.filter((name) => name !== 'router');

const STATEMENT_COUNTER = './packages/service-kit/src/statementCounter.ts';

export interface Service extends Started {
  service: ServiceName;
  url: string;
  counterPort: number;
  /** performance.now() when it was spawned: where its --cpu-prof clock starts. */
  spawnedAt: number;
}

export interface Stack {
  routerUrl: string;
  workDir: string;
  services: Record<ServiceName, Service>;
  /** The bench's database per service (names on DATABASE_URL's server). */
  databases: Record<Exclude<ServiceName, 'router'>, string>;
  /** What the processes need to run a command of theirs (admin:create) on the same databases. */
  env: Record<string, string>;
  /** SQL statements each process has sent so far. */
  statements(): Promise<Record<ServiceName, number>>;
  /** CPU time (user + system) each process has used so far, in ms. */
  cpuMs(): Record<ServiceName, number>;
  /** Stops every process (SIGTERM, so that --cpu-prof profiles are written) and drops the databases. */
  close(): Promise<void>;
}

export async function startStack(options: { databaseUrl: string; redisUrl: string; workDir: string; nodeFlags?: (service: ServiceName) => string[] }): Promise<Stack> {
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (name) => [name, await freePort()] as const))) as Record<ServiceName, number>;
  const counterPorts = Object.fromEntries(await Promise.all(SERVICES.map(async (name) => [name, await freePort()] as const))) as Record<ServiceName, number>;
  const url = (name: ServiceName) => `http://127.0.0.1:${ports[name]}/graphql`;
  const suffix = randomBytes(4).toString('hex');
  const databases = Object.fromEntries(DATABASE_SERVICES.map((name) => [name, `bench_app_${suffix}_${name}`])) as Stack['databases'];
  const databaseEnv = Object.fromEntries(
    DATABASE_SERVICES.map((name) => {
      const target = new URL(options.databaseUrl);
      target.pathname = `/${databases[name]}`;
      return [`${name.toUpperCase()}_DATABASE_URL`, target.toString()];
    }),
  );
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    REDIS_URL: options.redisUrl,
    ROUTER_SECRET: randomBytes(24).toString('base64url'),
    SERVICE_ACCOUNT_PASSWORD: randomBytes(24).toString('base64url'),
    ...Object.fromEntries(SERVICES.map((name) => [`${name.toUpperCase()}_PORT`, String(ports[name])])),
    ...Object.fromEntries(SERVICES.map((name) => [`${name.toUpperCase()}_URL`, url(name)])),
    AUTH_JWKS_URL: `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`,
    // Production settings a deployment has to choose; these are the ones that move no money or mail.
    MAIL_TRANSPORT: 'log',
    PAYMENT_PROVIDER: 'sandbox',
    METRICS_PORT: '0',
    // Sign-ups are part of the setup, not the load: hashing cheaply keeps the setup short.
    PASSWORD_HASH_MEMORY_KIB: '8192',
    PASSWORD_HASH_TIME_COST: '1',
    // One bench address sends everything: the budgets are raised so that they never refuse, and
    // are still spent on every request.
    RATE_LIMIT_IP: '1000000000',
    RATE_LIMIT_USER: '1000000000',
    RATE_LIMIT_AUTH: '1000000000',
    RATE_LIMIT_SERVICE: '1000000000',
    RATE_LIMIT_COST: '1000000000000',
    // The run outlasts the default 15 minutes; the tokens made at setup serve the whole run.
    ACCESS_TOKEN_TTL: '2h',
    ...databaseEnv,
  };
  const services = {} as Record<ServiceName, Service>;
  const stack: Stack = {
    routerUrl: url('router'),
    workDir: options.workDir,
    services,
    databases,
    env,
    async statements() {
      const counts = await Promise.all(
        SERVICES.map(async (name) => {
          const response = await fetch(`http://127.0.0.1:${counterPorts[name]}/`, { signal: AbortSignal.timeout(5000) });
          return [name, ((await response.json()) as { statements: number }).statements] as const;
        }),
      );
      return Object.fromEntries(counts) as Record<ServiceName, number>;
    },
    cpuMs: () => Object.fromEntries(SERVICES.map((name) => [name, sampleProcess(services[name].process.pid!).cpuMs])) as Record<ServiceName, number>,
    async close() {
      for (const service of Object.values(services).reverse()) await stop(service);
      const admin = new Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 10_000, query_timeout: 60_000 });
      await admin.connect();
      try {
        for (const name of Object.values(databases)) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
  try {
    // auth first: it makes the batch service's account and serves the keys everyone verifies with.
    for (const group of [['auth'], ['users', 'chat', 'store', 'batch'], ['router']] as ServiceName[][]) {
      await Promise.all(
        group.map(async (name) => {
          const dataDir = path.join(options.workDir, name);
          await mkdir(dataDir, { recursive: true });
          const spawnedAt = performance.now();
          const started = startNode(
            name,
            [...(options.nodeFlags?.(name) ?? []), '--import', 'tsx', '--import', STATEMENT_COUNTER, SERVICE_ENTRY[name]],
            { ...env, DATA_DIR: dataDir, SQL_STATEMENT_COUNTER_PORT: String(counterPorts[name]) },
            options.workDir,
          );
          services[name] = { ...started, service: name, url: url(name), counterPort: counterPorts[name], spawnedAt };
          await Promise.race([waitForReady(url(name).replace(/\/graphql$/, '/ready'), name), started.exited]);
        }),
      );
    }
  } catch (error) {
    await stack.close().catch(() => undefined);
    throw error;
  }
  return stack;
}

async function waitForReady(url: string, name: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((response) => response.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} was not ready within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The commit the processes run, and whether files differ from it (read when they start: others may commit meanwhile). */
export function describeCheckout(): string {
  const git = (args: string) => execSync(`git ${args}`, { cwd: ROOT, encoding: 'utf8' });
  const commit = git('rev-parse --short HEAD').trim();
  const changed = git('status --porcelain --untracked-files=no').split('\n').filter(Boolean).map((line) => line.slice(3));
  const ours = changed.filter((file) => /^(subgraphs|packages|gateway)\//.test(file));
  return changed.length === 0 ? `commit ${commit}` : `commit ${commit} with uncommitted changes in ${changed.length} files${ours.length ? ` (${ours.join(', ')})` : '; none of them in gateway/, subgraphs/ or packages/'}`;
}

export const nodeVersion = () => process.version;
export const cpuModel = () => /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
