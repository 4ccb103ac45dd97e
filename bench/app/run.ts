/**
 * `npm run bench:app`: the app under its own load. The whole stack as separate processes (router,
 * auth, users, chat, store, batch) on PostgreSQL and Redis (DATABASE_URL, REDIS_URL; fresh
 * databases, dropped afterwards), seeded through the router (seed.ts), then:
 *
 * 1. SQL statements per request, per operation, counted by every process's statement counter while
 *    one client sends only that operation (the background's idle rate, measured just before,
 *    subtracted), for lists of two lengths: they must cost the same number of statements.
 * 2. The mixed load (operations.ts: me, room list, a room's messages, products, my orders, sending
 *    a message, placing an order) from BENCH_CONNECTIONS (50) signed-in users at once with
 *    autocannon, a warm-up then BENCH_ROUNDS (3) rounds of BENCH_SECONDS (20): requests per second,
 *    p50 and p99 per operation and overall, and CPU time per request of each process (from /proc).
 * 3. Each operation alone under the same load for BENCH_ALONE_SECONDS (8): what a request of it costs
 *    each process, and those costs weighed by the mix's shares beside the mix's own.
 *
 * BENCH_PROFILE=1 runs every process with --cpu-prof and prints where each one's CPU went during the
 * rounds (bench/gateways/cpuprofile.ts) instead of writing the README; BENCH_WRITE=0 prints only.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { report, summarize } from '../gateways/cpuprofile';
import { CLOCK_TICKS_PER_SECOND, ROOT } from './processes';
import { DOCUMENTS, OPERATIONS, WEIGHTS, mix, variables, type OperationName, type Viewer } from './operations';
import { graphql, seed, type Seeded } from './seed';
import { SERVICES, cpuModel, describeCheckout, startStack, type ServiceName, type Stack } from './stack';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 15);
/** Each operation alone, under the same load, for this long: what one request of it costs. */
const ALONE_SECONDS = Number(process.env.BENCH_ALONE_SECONDS ?? 8);
const PROFILE = process.env.BENCH_PROFILE === '1';
const WRITE = process.env.BENCH_WRITE !== '0' && !PROFILE;
/** Requests per operation and list length when counting statements. */
const COUNTED_REQUESTS = 100;
const MIX_LENGTH = 100;

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

// ---------------------------------------------------------------- statements per request

/**
 * The processes each operation reaches: the router's plan for reads, and for writes also batch,
 * which consumes their events. Other processes' statements meanwhile are their own background
 * (relays, pg-boss's polling), not the request's.
 */
const REACHES: Record<OperationName, readonly ServiceName[]> = {
  me: ['auth', 'users'],
  roomList: ['chat', 'users'],
  roomMessages: ['chat', 'users'],
  products: ['store'],
  myOrders: ['store'],
  sendMessage: ['chat', 'users', 'batch'],
  placeOrder: ['store', 'batch'],
};

interface StatementCount {
  operation: OperationName;
  variant: string;
  perRequest: number;
  byService: Partial<Record<ServiceName, number>>;
}

async function countStatements(stack: Stack, operation: OperationName, viewer: Viewer, seeded: Seeded, variant: string, sizes: Partial<Record<'first' | 'last', number>> = {}): Promise<StatementCount> {
  // What the processes send on their own (relays, job polling) in the same time is not the request's;
  // the previous row's stragglers (events still being applied) are let settle first.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idleStart = await stack.statements();
  const idleFrom = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idleEnd = await stack.statements();
  const idleMs = performance.now() - idleFrom;
  const before = await stack.statements();
  const from = performance.now();
  for (let i = 0; i < COUNTED_REQUESTS; i++) await graphql(stack, DOCUMENTS[operation], variables(operation, viewer, seeded.catalog, sizes), viewer.token);
  // Events a write caused (relay, consumers in other services) belong to it: they are given a moment to land.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await stack.statements();
  const elapsedMs = performance.now() - from;
  const byService = Object.fromEntries(
    REACHES[operation].map((name) => {
      const background = ((idleEnd[name] - idleStart[name]) * elapsedMs) / idleMs;
      return [name, Math.max(0, after[name] - before[name] - background) / COUNTED_REQUESTS];
    }),
  ) as Partial<Record<ServiceName, number>>;
  return { operation, variant, perRequest: sum(Object.values(byService) as number[]), byService };
}

async function countAll(stack: Stack, seeded: Seeded): Promise<StatementCount[]> {
  const viewer = seeded.viewers[0];
  const few = { ...seeded.few, roomIds: [seeded.few.roomIds[0]] };
  const counts: StatementCount[] = [];
  counts.push(await countStatements(stack, 'me', viewer, seeded, ''));
  counts.push(await countStatements(stack, 'roomList', seeded.few, seeded, '5 rooms'));
  counts.push(await countStatements(stack, 'roomList', seeded.many, seeded, '50 rooms'));
  counts.push(await countStatements(stack, 'roomMessages', few, seeded, '5 messages', { last: 5 }));
  counts.push(await countStatements(stack, 'roomMessages', few, seeded, '50 messages', { last: 50 }));
  counts.push(await countStatements(stack, 'products', viewer, seeded, '5 products', { first: 5 }));
  counts.push(await countStatements(stack, 'products', viewer, seeded, '50 products', { first: 50 }));
  counts.push(await countStatements(stack, 'myOrders', seeded.few, seeded, '2 orders', { first: 50 }));
  counts.push(await countStatements(stack, 'myOrders', seeded.many, seeded, '20 orders', { first: 50 }));
  counts.push(await countStatements(stack, 'sendMessage', viewer, seeded, ''));
  counts.push(await countStatements(stack, 'placeOrder', viewer, seeded, '2 lines'));
  return counts;
}

// ---------------------------------------------------------------- the mixed load

interface Round extends Driven {
  seconds: number;
  cpuMs: Record<ServiceName | 'postgres' | 'bench', number>;
  machineBusyCores: number;
}

/** The machine's busy CPU time so far (/proc/stat's first line: user nice system idle iowait irq softirq steal), in ms. */
function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0; // the backend ended meanwhile
  }
}

/** PostgreSQL's server processes for the bench's databases (their pools keep them open under load). */
async function postgresBackends(admin: Client, stack: Stack): Promise<number[]> {
  const result = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = any($1)', [Object.values(stack.databases)]);
  return result.rows.map((row) => row.pid);
}

interface AutocannonClient {
  setRequests(requests: unknown[]): void;
  on(event: 'response', listener: (status: number, bytes: number, durationMs: number) => void): void;
}

/** `seconds` of the mix from CONNECTIONS users at once, each its own shuffled sequence; latencies per operation. */
interface Driven {
  requests: number;
  latencies: Record<OperationName, number[]>;
  /** Answers that were not a 200 without `errors` (a subgraph past the router's timeout, say), by operation. */
  failed: Record<OperationName, number>;
  /** The first few failed answers, to show. */
  failures: string[];
}

async function drive(stack: Stack, seeded: Seeded, seconds: number, sequence: () => OperationName[] = () => mix(MIX_LENGTH)): Promise<Driven> {
  const latencies = Object.fromEntries(OPERATIONS.map((operation) => [operation, [] as number[]])) as Record<OperationName, number[]>;
  const failed = Object.fromEntries(OPERATIONS.map((operation) => [operation, 0])) as Record<OperationName, number>;
  const failures: string[] = [];
  let nextClient = 0;
  const result = await autocannon({
    url: stack.routerUrl,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 60,
    setupClient(client: AutocannonClient) {
      const viewer = seeded.viewers[nextClient++ % seeded.viewers.length];
      let answered: OperationName | undefined;
      client.setRequests(
        sequence().map((operation) => ({
          method: 'POST',
          path: '/graphql',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer.token}` },
          setupRequest: (request: Record<string, unknown>) => ({ ...request, body: JSON.stringify({ query: DOCUMENTS[operation], variables: variables(operation, viewer, seeded.catalog) }) }),
          // Called with the answer just before the client's 'response' event, which has the time.
          onResponse: (status: number, body: string) => {
            answered = operation;
            if (status !== 200 || body.includes('"errors"')) {
              failed[operation] += 1;
              if (failures.length < 3) failures.push(`${operation}: HTTP ${status} ${body.trim().slice(0, 300)}`);
            }
          },
        })),
      );
      client.on('response', (_status, _bytes, durationMs) => {
        if (answered) latencies[answered].push(durationMs);
        answered = undefined;
      });
    },
  } as unknown as autocannon.Options);
  if (result.errors || result.timeouts) throw new Error(`the mix failed: ${result.errors} connection errors, ${result.timeouts} timeouts`);
  const requests = sum(Object.values(latencies).map((list) => list.length));
  // Every answer autocannon counted must have been put down to its operation.
  if (Math.abs(result.requests.total - requests) > CONNECTIONS) throw new Error(`autocannon counted ${result.requests.total} answers, the bench ${requests}`);
  return { requests, latencies, failed, failures };
}

async function round(stack: Stack, seeded: Seeded, admin: Client, seconds = SECONDS, sequence?: () => OperationName[]): Promise<Round> {
  const pids = Object.fromEntries(SERVICES.map((name) => [name, stack.services[name].process.pid!])) as Record<ServiceName, number>;
  const backendsBefore = new Map((await postgresBackends(admin, stack)).map((pid) => [pid, processCpuMs(pid)]));
  const before = { ...stack.cpuMs(), bench: processCpuMs(process.pid), machine: machineBusyMs() };
  const from = performance.now();
  const driven = await drive(stack, seeded, seconds, sequence);
  const elapsedMs = performance.now() - from;
  // A backend that a pool opened meanwhile counts from its start; one it closed (idle) is left out.
  const backendsAfter = await postgresBackends(admin, stack);
  const postgres = sum(backendsAfter.map((pid) => processCpuMs(pid) - (backendsBefore.get(pid) ?? 0)));
  const after = { ...Object.fromEntries(SERVICES.map((name) => [name, processCpuMs(pids[name])])), bench: processCpuMs(process.pid), machine: machineBusyMs() };
  const cpuMs = {
    ...Object.fromEntries([...SERVICES, 'bench'].map((name) => [name, (after as Record<string, number>)[name] - (before as Record<string, number>)[name]])),
    postgres,
  } as Round['cpuMs'];
  return { ...driven, seconds: elapsedMs / 1000, cpuMs, machineBusyCores: (after.machine - before.machine) / elapsedMs };
}

// ---------------------------------------------------------------- output

const LABELS: Record<OperationName, string> = {
  me: '`me`',
  roomList: 'room list (last message, sender, members)',
  roomMessages: "a room's messages (30, with senders)",
  products: 'products (20)',
  myOrders: 'my orders (10)',
  sendMessage: 'send a message',
  placeOrder: 'place an order (2 lines)',
};

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const grouped = (value: number) => Math.round(value).toLocaleString('en-US');

function loadTables(rounds: Round[]): string {
  const rps = rounds.map((r) => r.requests / r.seconds);
  const all = (operation: OperationName) => rounds.flatMap((r) => r.latencies[operation]).sort((a, b) => a - b);
  const everything = rounds.flatMap((r) => OPERATIONS.flatMap((operation) => r.latencies[operation])).sort((a, b) => a - b);
  const total = sum(rounds.map((r) => r.requests));
  const lines = [
    '| operation | share of requests | requests/s | p50 | p99 | failed answers |',
    '|---|---|---|---|---|---|',
    ...OPERATIONS.map((operation) => {
      const list = all(operation);
      const perSecond = median(rounds.map((r) => r.latencies[operation].length / r.seconds));
      return `| ${LABELS[operation]} | ${((100 * list.length) / total).toFixed(0)} % | ${grouped(perSecond)} | ${ms(percentile(list, 50))} ms | ${ms(percentile(list, 99))} ms | ${grouped(sum(rounds.map((r) => r.failed[operation])))} |`;
    }),
    `| **all** | 100 % | **${grouped(median(rps))}** (rounds ${rps.map(grouped).join(', ')}) | **${ms(percentile(everything, 50))} ms** | **${ms(percentile(everything, 99))} ms** | ${grouped(sum(rounds.map((r) => sum(Object.values(r.failed)))))} |`,
    '',
    '| process | CPU per request | cores busy |',
    '|---|---|---|',
    ...[...SERVICES, 'postgres', 'bench'].map((name) => {
      const perRequest = median(rounds.map((r) => r.cpuMs[name as ServiceName] / r.requests));
      const cores = median(rounds.map((r) => r.cpuMs[name as ServiceName] / (r.seconds * 1000)));
      const label = name === 'postgres' ? 'PostgreSQL (the bench databases\' server processes)' : name === 'bench' ? 'the load generator (autocannon, this process)' : name;
      return `| ${label} | ${perRequest.toFixed(2)} ms | ${cores.toFixed(2)} |`;
    }),
    `| all of the stack's processes | ${median(rounds.map((r) => sum(SERVICES.map((name) => r.cpuMs[name])) / r.requests)).toFixed(2)} ms | ${median(rounds.map((r) => sum(SERVICES.map((name) => r.cpuMs[name])) / (r.seconds * 1000))).toFixed(2)} |`,
    `| other processes on the machine (not the bench's) | | ${median(rounds.map((r) => r.machineBusyCores - sum(Object.values(r.cpuMs)) / (r.seconds * 1000))).toFixed(2)} |`,
    `| the whole machine | | ${median(rounds.map((r) => r.machineBusyCores)).toFixed(2)} of ${os.cpus().length} |`,
  ];
  return lines.join('\n');
}

/**
 * What one request of each operation costs under load: each alone from CONNECTIONS users for
 * ALONE_SECONDS, CPU per request by process. The last row weighs them by the mix's shares.
 */
function aloneTable(alone: Map<OperationName, Round>, rounds: Round[]): string {
  const subgraphs = SERVICES.filter((name) => name !== 'router');
  type Cost = [all: number, router: number, subgraphs: number, postgres: number];
  const costPerRequest = (r: Round): Cost => {
    const router = r.cpuMs.router;
    const others = sum(subgraphs.map((name) => r.cpuMs[name]));
    return [router + others + r.cpuMs.postgres, router, others, r.cpuMs.postgres].map((ms) => ms / r.requests) as Cost;
  };
  const cells = (cost: number[]) => cost.map((value) => `${value.toFixed(2)} ms`).join(' | ');
  const total = sum(OPERATIONS.map((operation) => WEIGHTS[operation]));
  const costs = OPERATIONS.map((operation) => ({ share: WEIGHTS[operation] / total, cost: costPerRequest(alone.get(operation)!) }));
  const weighted = [0, 1, 2, 3].map((column) => sum(costs.map(({ share, cost }) => share * cost[column])));
  const mixed = rounds.map(costPerRequest);
  const mixedMedians = [0, 1, 2, 3].map((column) => median(mixed.map((cost) => cost[column])));
  return [
    '| operation alone | requests/s | p50 | CPU per request: all processes | router | subgraphs | PostgreSQL |',
    '|---|---|---|---|---|---|---|',
    ...OPERATIONS.map((operation) => {
      const r = alone.get(operation)!;
      const latencies = [...r.latencies[operation]].sort((a, b) => a - b);
      return `| ${LABELS[operation]} | ${grouped(r.requests / r.seconds)} | ${ms(percentile(latencies, 50))} ms | ${cells(costPerRequest(r))} |`;
    }),
    `| the mix's shares of these | | | ${cells(weighted)} |`,
    `| the mix as measured above | | | ${cells(mixedMedians)} |`,
  ].join('\n');
}

function statementTable(counts: StatementCount[]): string {
  const services = SERVICES.filter((name) => counts.some((count) => name in count.byService));
  return [
    `| operation | lists | SQL statements per request | ${services.join(' | ')} |`,
    `|---|---|---|${services.map(() => '---|').join('')}`,
    ...counts.map((count) => `| ${LABELS[count.operation]} | ${count.variant || '–'} | ${count.perRequest.toFixed(1)} | ${services.map((name) => (name in count.byService ? count.byService[name]!.toFixed(1) : '')).join(' | ')} |`),
  ].join('\n');
}

function failureNote(rounds: Round[]): string {
  const failures = rounds.flatMap((r) => r.failures);
  if (!failures.length) return '';
  return `\nRequests per second and latencies count every answer, failed ones too. The first failed answers:\n\n${failures
    .slice(0, 3)
    .map((failure) => `- \`${failure.replace(/`/g, "'")}\``)
    .join('\n')}\n`;
}

const SECTION_TITLE = '## `npm run bench:app` — the app under its own load';

function section(checkout: string, counts: StatementCount[], rounds: Round[], alone: Map<OperationName, Round>): string {
  const date = new Date().toISOString().slice(0, 10);
  return `${SECTION_TITLE}

\`bench/app/run.ts\` runs the stack as docker compose does — router, auth, users, chat, store and batch, each
its own process in production mode (\`NODE_ENV=production\`, every protection on) — on fresh PostgreSQL
databases (dropped afterwards) and Redis (\`DATABASE_URL\`, \`REDIS_URL\`, both required). The router's
budgets are raised through \`RATE_LIMIT_*\` so that one bench address never meets them; they are still spent on
every request. The data is made through the router (\`bench/app/seed.ts\`): 50 signed-up users, each in 10 group
rooms of 5 with 10 messages each (more arrive with the load), 60 products an administrator created, 3 orders each. Each of the
${CONNECTIONS} autocannon connections is one of those users sending its own shuffled mix of the web app's operations
(\`bench/app/operations.ts\`, out of 100: ${OPERATIONS.map((operation) => `${operation} ${WEIGHTS[operation]}`).join(', ')}),
${WARMUP_SECONDS} s of warm-up, then ${ROUNDS} rounds of ${SECONDS} s.
CPU per request is each process's user + system time from \`/proc\` over the rounds divided by the requests
answered (median of the rounds); p50 and p99 are over all rounds' requests of that operation. Every answer is
checked: one that is not a 200 without \`errors\` is counted as failed.

SQL statements are counted for real: each process loads \`packages/service-kit/src/statementCounter.ts\`
(\`--import\`, only when \`SQL_STATEMENT_COUNTER_PORT\` is set), which counts every \`query\` sent through \`pg\`'s
clients (MikroORM's and pg-boss's alike; BEGIN and COMMIT count). For each row one client sends ${COUNTED_REQUESTS} requests of that
operation alone. Counted are the processes the operation reaches (its plan's subgraphs; for writes also batch,
which consumes their events), less what they send on their own in the same time (event relays, job polling;
measured just before); writes include what their events cause in other services.

${date}, ${checkout}, Node ${process.version}, ${cpuModel()}, ${os.cpus().length} cores
(BENCH_CONNECTIONS=${CONNECTIONS} BENCH_SECONDS=${SECONDS} BENCH_ROUNDS=${ROUNDS}):

${loadTables(rounds)}
${failureNote(rounds)}
After the rounds, each operation alone from the same ${CONNECTIONS} users for ${ALONE_SECONDS} s (\`BENCH_ALONE_SECONDS\`), measured the same
way: what a request of it costs the machine under load. "Subgraphs" is auth, users, chat, store and batch together.

${aloneTable(alone, rounds)}

${statementTable(counts)}
`;
}

async function writeSection(text: string): Promise<void> {
  const file = path.join(ROOT, 'bench', 'README.md');
  const readme = await readFile(file, 'utf8');
  const start = readme.indexOf(SECTION_TITLE);
  if (start < 0) {
    await writeFile(file, `${readme.trimEnd()}\n\n${text}`);
    return;
  }
  // The section ends where the next "## " heading starts; "### " subsections of its own are kept out of the rewrite.
  const next = readme.slice(start + SECTION_TITLE.length).search(/\n(## |### )/);
  const end = next < 0 ? readme.length : start + SECTION_TITLE.length + next + 1;
  await writeFile(file, `${readme.slice(0, start)}${text}${next < 0 ? '' : '\n'}${readme.slice(end)}`);
}

// ---------------------------------------------------------------- main

async function main() {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) throw new Error('bench:app needs DATABASE_URL (a PostgreSQL server it may create databases on) and REDIS_URL');
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-bench-app-'));
  const profileDir = path.join(workDir, 'profiles');
  const checkout = describeCheckout();
  const stack = await startStack({ databaseUrl, redisUrl, workDir, nodeFlags: () => (PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []) });
  const admin = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
  await admin.connect();
  let succeeded = false;
  try {
    console.log(`stack up (${checkout}); seeding…`);
    const seeded = await seed(stack);
    console.log('counting SQL statements per request…');
    const counts = await countAll(stack, seeded);
    console.log(statementTable(counts));
    console.log(`warming up for ${WARMUP_SECONDS} s…`);
    await drive(stack, seeded, WARMUP_SECONDS);
    const loadFrom = performance.now();
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      rounds.push(await round(stack, seeded, admin));
      console.log(`round ${i + 1}: ${grouped(rounds[i].requests / rounds[i].seconds)} requests/s, ${sum(Object.values(rounds[i].failed))} failed${rounds[i].failures.length ? `: ${rounds[i].failures[0]}` : ''}`);
    }
    const loadTo = performance.now();
    console.log(loadTables(rounds));
    const alone = new Map<OperationName, Round>();
    for (const operation of OPERATIONS) {
      alone.set(operation, await round(stack, seeded, admin, ALONE_SECONDS, () => Array.from({ length: MIX_LENGTH }, () => operation)));
      console.log(`${operation} alone: ${grouped(alone.get(operation)!.requests / alone.get(operation)!.seconds)} requests/s`);
    }
    console.log(aloneTable(alone, rounds));
    if (WRITE) await writeSection(section(checkout, counts, rounds, alone));
    if (PROFILE) {
      await stack.close();
      await printProfiles(stack, profileDir, loadFrom, loadTo, sum(rounds.map((r) => r.requests)));
    }
    succeeded = true;
  } finally {
    await admin.end();
    await stack.close();
    // The services' logs stay for a failed run, the profiles for a profiled one.
    if (succeeded && !PROFILE) await rm(workDir, { recursive: true, force: true });
    else console.log(`the services' logs${PROFILE ? ' and profiles' : ''}: ${workDir}`);
  }
}

/**
 * Each process's profile over the rounds (`from`, `to`: performance.now() here). A profile's clock
 * starts a little after its spawn, so the window lies a little later in its time than here: it
 * starts no earlier than the load.
 */
async function printProfiles(stack: Stack, profileDir: string, from: number, to: number, requests: number): Promise<void> {
  const files = await readdir(profileDir).catch(() => [] as string[]);
  for (const name of SERVICES) {
    const service = stack.services[name];
    const file = files.find((entry) => entry.includes(`.${service.process.pid}.`) && entry.endsWith('.cpuprofile'));
    if (!file) {
      console.log(`\n== ${name}: no profile in ${profileDir}`);
      continue;
    }
    const window = { fromS: (from - service.spawnedAt) / 1000, toS: (to - service.spawnedAt) / 1000 };
    const summary = summarize(JSON.parse(await readFile(path.join(profileDir, file), 'utf8')) as Parameters<typeof summarize>[0], window);
    console.log(`\n== ${name}: ${(summary.busyMs / requests).toFixed(2)} ms busy per request of the mix; ${path.join(profileDir, file)}\n`);
    console.log(report(summary, 12));
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
