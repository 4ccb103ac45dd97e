/**
 * `npx tsx scripts/buildBench.ts`: start-up time and resident memory of the router and the users subgraph,
 * run as the images run them — the compiled build (`node dist/…`, the image since `npm run build`) against
 * the TypeScript through tsx (`npx tsx …`, the image before, in a new container, whose tsx cache is empty,
 * and restarted, with the cache filled; and `node --import tsx …`, without npx's and tsx's own processes). Production mode on PostgreSQL and Redis (DATABASE_URL, REDIS_URL), the
 * users database migrated beforehand, so each start is a restart of a deployed service. Start-up is from
 * spawn to the first 200 from /ready, and the CPU time the processes used until then (which other load on
 * the machine changes less than the wall time); memory is the resident set of every process the command started
 * (npx and tsx run the service in a child), once ready and after 5 s idle. BENCH_ROUNDS rounds (default
 * 7), the commands' order rotating per round; the table shows medians. Builds dist/ first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

const ROOT = path.resolve(__dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;

const SERVICES = {
  router: { source: 'gateway/src/index.ts', portVariable: 'ROUTER_PORT' },
  users: { source: 'subgraphs/users/src/index.ts', portVariable: 'USERS_PORT' },
} as const;
type ServiceName = keyof typeof SERVICES;

/** How a command runs a service: the file, its arguments, and whether tsx's transform cache starts empty. */
type Command = (source: string) => [string, string[], { freshTmp?: boolean }?];

const COMMANDS = {
  'node dist/… (compiled)': (source) => [process.execPath, [path.join('dist', source.replace(/\.ts$/, '.js'))]],
  // A new container of the image before: tsx's cache (under the temporary folder) is empty.
  'npx tsx … (image before, new container)': (source) => ['npx', ['tsx', source], { freshTmp: true }],
  // The same container restarted: tsx's cache has every transformed file.
  'npx tsx … (image before, restart)': (source) => ['npx', ['tsx', source]],
  'node --import tsx …': (source) => [process.execPath, ['--import', 'tsx', source]],
} as const satisfies Record<string, Command>;
type CommandName = keyof typeof COMMANDS;

interface Sample {
  startMs: number;
  /** User and system CPU time the processes had used when ready: what start-up costs, whatever else runs. */
  cpuMs: number;
  readyRssMiB: number;
  idleRssMiB: number;
  processes: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The process and all its descendants, from /proc. */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while listing.
    }
  }
  const tree = [root];
  for (let index = 0; index < tree.length; index++) tree.push(...(parents.get(tree[index]) ?? []));
  return tree;
}

const TICKS_PER_SECOND = 100;

function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat(5), counted from the state field (3).
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function residentMiB(pids: number[]): number {
  let kib = 0;
  for (const pid of pids) {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    kib += Number(match?.[1] ?? 0);
  }
  return kib / 1024;
}

async function measure(command: CommandName, service: ServiceName, env: Record<string, string>): Promise<Sample> {
  const port = await freePort();
  const [file, args, options] = (COMMANDS[command] as Command)(SERVICES[service].source);
  const tmp = options?.freshTmp ? mkdtempSync(path.join(os.tmpdir(), 'dorandoran-startup-bench-')) : os.tmpdir();
  const started = performance.now();
  const child: ChildProcess = spawn(file, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp, ...env, [SERVICES[service].portVariable]: String(port), METRICS_PORT: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  try {
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/ready`).then((response) => response.ok, () => false);
      if (ready) break;
      if (child.exitCode !== null) throw new Error(`${service} under ${command} exited: ${stderr}`);
      await sleep(10);
    }
    const startMs = performance.now() - started;
    const tree = processTree(child.pid!);
    const readyRssMiB = residentMiB(tree);
    const readyCpuMs = cpuMs(tree);
    await sleep(5000);
    return { startMs, cpuMs: readyCpuMs, readyRssMiB, idleRssMiB: residentMiB(processTree(child.pid!)), processes: tree.length };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (const pid of processTree(child.pid!).reverse()) process.kill(pid, 'SIGKILL');
    await exited;
    if (options?.freshTmp) rmSync(tmp, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function main() {
  if (!DATABASE_URL || !REDIS_URL) throw new Error('Set DATABASE_URL and REDIS_URL: the services start as in production');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const database = new URL(DATABASE_URL);
  database.pathname = `/bench_startup_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    REDIS_URL,
    USERS_DATABASE_URL: database.toString(),
    ROUTER_SECRET: randomBytes(24).toString('base64url'),
    DATA_DIR: path.join(os.tmpdir(), 'dorandoran-startup-bench'),
  };
  // Migrated once, so every measured start of users finds nothing pending.
  await measure('node dist/… (compiled)', 'users', env);
  const samples = new Map<string, Sample[]>();
  const commands = Object.keys(COMMANDS) as CommandName[];
  const loads: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = commands.map((_, index) => commands[(index + round) % commands.length]);
      for (const command of order) {
        for (const service of Object.keys(SERVICES) as ServiceName[]) {
          loads.push(os.loadavg()[0]);
          const sample = await measure(command, service, env);
          samples.set(`${service}\0${command}`, [...(samples.get(`${service}\0${command}`) ?? []), sample]);
          console.error(`round ${round + 1}: ${service} ${command}: ${sample.startMs.toFixed(0)} ms, CPU ${sample.cpuMs.toFixed(0)} ms, ${sample.readyRssMiB.toFixed(0)} MiB`);
        }
      }
    }
  } finally {
    const admin = new Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database.pathname.slice(1)}" WITH (FORCE)`).finally(() => admin.end());
  }
  console.log(`\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores, ${ROUNDS} rounds; 1-minute load average during the runs: median ${median(loads).toFixed(1)} (${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)})\n`);
  console.log('| service | command | processes | start-up to /ready (min–max) | CPU time to /ready | RSS when ready | RSS after 5 s idle |');
  console.log('|---|---|---|---|---|---|---|');
  for (const service of Object.keys(SERVICES) as ServiceName[]) {
    for (const command of commands) {
      const runs = samples.get(`${service}\0${command}`)!;
      const starts = runs.map((run) => run.startMs);
      console.log(
        `| ${service} | \`${command}\` | ${runs[0].processes} | ${(median(starts) / 1000).toFixed(2)} s (${(Math.min(...starts) / 1000).toFixed(2)}–${(Math.max(...starts) / 1000).toFixed(2)}) | ${(median(runs.map((run) => run.cpuMs)) / 1000).toFixed(2)} s | ${median(runs.map((run) => run.readyRssMiB)).toFixed(0)} MiB | ${median(runs.map((run) => run.idleRssMiB)).toFixed(0)} MiB |`,
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
