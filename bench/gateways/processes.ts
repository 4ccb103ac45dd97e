/**
 * Starting and watching the bench's processes: the subgraph process, the supergraph composed over
 * its ports, and the gateways, each in a process of its own started the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { freePort } from '@dorandoran/test-support/infra';
import { SUBGRAPHS, type SubgraphName } from './schemas';
import { SMALL_QUERY } from './queries';

export const ROOT = path.resolve(__dirname, '..', '..');

export type GatewayName = 'ours' | 'oursUndeduplicated' | 'apollo' | 'hive';
/** Ours twice: as it runs by default, and with DEDUPLICATE_QUERIES=false, to show what deduplication gives and what the rest gives alone. */
export const GATEWAYS: readonly GatewayName[] = ['ours', 'oursUndeduplicated', 'apollo', 'hive'];
/** The gateways ours is compared with. */
export const OTHER_GATEWAYS: readonly GatewayName[] = ['apollo', 'hive'];

const packageVersion = (name: string) => (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

export const GATEWAY_LABELS: Record<GatewayName, string> = {
  ours: 'our router',
  oursUndeduplicated: 'our router, `DEDUPLICATE_QUERIES=false`',
  apollo: `@apollo/gateway ${packageVersion('@apollo/gateway')} + @apollo/server ${packageVersion('@apollo/server')}`,
  hive: `Hive Gateway ${packageVersion('@graphql-hive/gateway')} (--jit)`,
};

export interface Started {
  name: string;
  process: ChildProcess;
  /** Rejects when the process exits before it is stopped. */
  exited: Promise<never>;
  log: string;
}

export interface Gateway extends Started {
  gateway: GatewayName;
  url: string;
}

/**
 * A node process with a clean environment (nothing of the caller's NODE_OPTIONS, REDIS_URL or
 * DATABASE_URL leaks in), its output in `<workDir>/<name>.log`.
 */
function startNode(name: string, args: string[], env: Record<string, string>, workDir: string, cwd = ROOT): Started {
  const log = path.join(workDir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? workDir, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  // stop() takes this listener off first: only an exit nobody asked for rejects.
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}); its output:\n${readFileSync(log, 'utf8').slice(-4000)}`))),
  );
  exited.catch(() => undefined);
  return { name, process: child, exited, log };
}

/** SIGTERM, then waits for the exit (a --cpu-prof profile is written on the way out). */
export async function stop(started: Started): Promise<void> {
  const child = started.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.removeAllListeners('exit');
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

export interface Subgraphs extends Started {
  urls: Record<SubgraphName, string>;
}

export async function startSubgraphs(workDir: string): Promise<Subgraphs> {
  const ports = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async ({ name }) => [name, await freePort()] as const))) as Record<SubgraphName, number>;
  const urls = Object.fromEntries(SUBGRAPHS.map(({ name }) => [name, `http://127.0.0.1:${ports[name]}/graphql`])) as Record<SubgraphName, string>;
  const started = startNode('subgraphs', ['--import', 'tsx', 'bench/gateways/subgraphs.ts'], { NODE_ENV: 'production', BENCH_SUBGRAPH_PORTS: JSON.stringify(ports) }, workDir);
  await Promise.race([waitFor(async () => (await probe(urls.products, '{ topProducts(first: 1) { upc } }')) === 200, 'the subgraphs'), started.exited]);
  return { ...started, urls };
}

/** Composes the four subgraphs at their URLs, as `rover supergraph compose` would; one file for all three gateways. */
export function writeSupergraph(urls: Record<SubgraphName, string>, file: string): void {
  const result = composeServices(SUBGRAPHS.map(({ name, typeDefs }) => ({ name, url: urls[name], typeDefs: parse(typeDefs) })));
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((error) => `  ${error.message}`).join('\n')}`);
  writeFileSync(file, result.supergraphSdl);
}

/**
 * One gateway in production mode over the supergraph file. `nodeFlags` go to its node process
 * (`--cpu-prof` for profile.ts).
 */
export async function startGateway(gateway: GatewayName, supergraphPath: string, workDir: string, nodeFlags: string[] = []): Promise<Gateway> {
  const port = await freePort();
  let started: Started;
  if (gateway === 'ours' || gateway === 'oursUndeduplicated') {
    const env = { ...ourRouterEnv(port, supergraphPath, path.join(workDir, `${gateway}-data`)), ...(gateway === 'oursUndeduplicated' ? { DEDUPLICATE_QUERIES: 'false' } : {}) };
    started = startNode(gateway, [...nodeFlags, '--import', 'tsx', 'bench/gateways/ours.ts'], env, workDir);
  } else if (gateway === 'apollo') {
    started = startNode(gateway, [...nodeFlags, '--import', 'tsx', 'bench/gateways/apollo.ts'], { NODE_ENV: 'production', PORT: String(port), SUPERGRAPH_PATH: supergraphPath }, workDir);
  } else {
    // The CLI as documented (`hive-gateway supergraph <file> --jit`), from the work directory so
    // that it finds no gateway.config file of ours.
    const bin = path.join(ROOT, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js');
    started = startNode(gateway, [...nodeFlags, bin, 'supergraph', supergraphPath, '--jit', '--host', '127.0.0.1', '--port', String(port)], { NODE_ENV: 'production' }, workDir, workDir);
  }
  const url = `http://127.0.0.1:${port}/graphql`;
  await Promise.race([waitFor(async () => (await probe(url, SMALL_QUERY)) === 200, GATEWAY_LABELS[gateway]), started.exited]);
  return { ...started, gateway, url };
}

/**
 * Production mode with every protection at its default, except the budgets, which are raised so
 * that one client address sending tens of thousands of operations a minute is never refused:
 * the budgets are still counted on every request. Stores in memory (no REDIS_URL).
 */
function ourRouterEnv(port: number, supergraphPath: string, dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    ROUTER_PORT: String(port),
    SUPERGRAPH_PATH: supergraphPath,
    DATA_DIR: dataDir,
    ROUTER_SECRET: randomBytes(24).toString('base64url'),
    METRICS_PORT: '0',
    RATE_LIMIT_IP: '1000000000',
    RATE_LIMIT_USER: '1000000000',
    RATE_LIMIT_AUTH: '1000000000',
    RATE_LIMIT_SERVICE: '1000000000',
    RATE_LIMIT_COST: '1000000000000',
  };
}

async function probe(url: string, query: string): Promise<number | undefined> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).catch(() => undefined);
  await response?.arrayBuffer();
  return response?.status;
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface GraphQLAnswer {
  status: number;
  bytes: number;
  body: { data?: unknown; errors?: unknown[] };
}

export async function post(url: string, query: string): Promise<GraphQLAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const text = await response.text();
  return { status: response.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) as GraphQLAnswer['body'] };
}

/** USER_HZ, the unit of the CPU times in /proc/stat and /proc/<pid>/stat: 100 on Linux. */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcessSample {
  rssMiB: number;
  /** VmHWM: the most the process has held resident since it started. */
  peakRssMiB: number;
  /** User + system CPU time since it started. */
  cpuMs: number;
}

export function sampleProcess(pid: number): ProcessSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
  // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024, cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND };
}
