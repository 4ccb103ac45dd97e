/**
 * `npm run bench:gateways`: our router against stock @apollo/gateway and Hive Gateway over the
 * same supergraph and the same subgraph process (schemas.ts), each gateway in a process of its own.
 * Checks first that all of them answer both queries with the same `data`, warms each up, then runs
 * interleaved rounds (each round: every query through every gateway, the gateways' order rotating
 * from round to round) under autocannon, and writes the medians into bench/README.md.
 * BENCH_ROUNDS (5), BENCH_SECONDS (10), BENCH_CONNECTIONS (50), BENCH_WARMUP_SECONDS (20) and
 * BENCH_MAX_OTHER_CPU (10, in percent of the cores) change the run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CLOCK_TICKS_PER_SECOND, GATEWAY_LABELS, GATEWAYS, OTHER_GATEWAYS, ROOT, post, sampleProcess, startGateway, startSubgraphs, stop, writeSupergraph, type Gateway, type GatewayName, type Started } from './processes';
import { drive } from './load';
import { QUERIES, type QueryName } from './queries';

const positiveInt = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, got "${process.env[name]}"`);
  return value;
};
const ROUNDS = positiveInt('BENCH_ROUNDS', 5);
const SECONDS = positiveInt('BENCH_SECONDS', 10);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 50);
// V8 takes tens of seconds under load to settle on optimized code for a gateway's whole path.
const WARMUP_SECONDS = positiveInt('BENCH_WARMUP_SECONDS', Math.min(20, 2 * SECONDS));
/**
 * Between runs the bench waits until its own processes are idle (below this share of one core),
 * at least 1 s and at most 15 s: a gateway that just served a run goes on collecting its garbage
 * for a while, and that must not land in the next gateway's run.
 */
const IDLE_CORE_SHARE = 0.05;
/**
 * The machine is shared (tests, CI): a run during which other processes took more than this share
 * of the cores is thrown away and run again once they are quiet, up to MAX_ATTEMPTS times.
 */
const MAX_OTHER_CPU_SHARE = positiveInt('BENCH_MAX_OTHER_CPU', 10) / 100;
const MAX_ATTEMPTS = 5;
/** How long the bench waits for the machine to calm down before running anyway. */
const MAX_QUIET_WAIT_MS = 10 * 60_000;
const QUERY_NAMES = Object.keys(QUERIES) as QueryName[];
const README = path.join(ROOT, 'bench', 'README.md');
const SECTION_TITLE = '## `npm run bench:gateways` — our router vs. stock @apollo/gateway vs. Hive Gateway';
/** Written by hand from a profiling run (profile.ts): kept when the measured part is rewritten. */
const PROFILE_HEADING = "### Where our router's time goes";

interface Run {
  /** The share of all the cores' time that processes other than the bench's used during the run. */
  otherCpuShare: number;
  /** The same for the two gateways not under load (their timers, late garbage collection). */
  bystanderCpuShare: number;
  rps: number;
  p50: number;
  p99: number;
  /** The gateway process's CPU time per answered request. */
  cpuMsPerRequest: number;
  peakRssMiB: number;
}

/** CPU time the whole machine and the bench's own processes (this one included) have used. */
function cpuSpent(pids: number[]): { machineMs: number; oursMs: number } {
  // /proc/stat's first line: user nice system idle iowait irq softirq steal …, in ticks.
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const own = process.cpuUsage();
  return {
    machineMs: ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS_PER_SECOND,
    oursMs: pids.reduce((sum, pid) => sum + sampleProcess(pid).cpuMs, (own.user + own.system) / 1000),
  };
}

function otherCpuShare(before: ReturnType<typeof cpuSpent>, after: ReturnType<typeof cpuSpent>, elapsedMs: number): number {
  const otherMs = after.machineMs - before.machineMs - (after.oursMs - before.oursMs);
  return Math.max(0, otherMs) / (elapsedMs * os.cpus().length);
}

/** One run of `seconds` against one gateway; `pids` are all of the bench's processes, to tell other work on the machine apart. */
async function load(gateway: Gateway, query: QueryName, seconds: number, pids: number[], bystanders: number[]): Promise<Run> {
  const pid = gateway.process.pid!;
  const bystandersCpu = () => bystanders.reduce((sum, bystander) => sum + sampleProcess(bystander).cpuMs, 0);
  const bystandersBefore = bystandersCpu();
  const before = sampleProcess(pid);
  const machineBefore = cpuSpent(pids);
  const started = performance.now();
  let peakRssMiB = before.rssMiB;
  const sampler = setInterval(() => (peakRssMiB = Math.max(peakRssMiB, sampleProcess(pid).rssMiB)), 200);
  const result = await drive(gateway, query, seconds, CONNECTIONS).finally(() => clearInterval(sampler));
  const after = sampleProcess(pid);
  const elapsedMs = performance.now() - started;
  return {
    otherCpuShare: otherCpuShare(machineBefore, cpuSpent(pids), elapsedMs),
    bystanderCpuShare: (bystandersCpu() - bystandersBefore) / (elapsedMs * os.cpus().length),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPerRequest: (after.cpuMs - before.cpuMs) / result.requests.total,
    peakRssMiB: Math.max(peakRssMiB, after.rssMiB),
  };
}

/** Where two answers differ, as paths (the first 20). Key order counts: clients see it. */
function differences(a: unknown, b: unknown, at: string, found: string[] = []): string[] {
  if (found.length >= 20) return found;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) found.push(`${at}: ${a.length} items vs ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) differences(a[i], b[i], `${at}[${i}]`, found);
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.join() !== keysB.join()) found.push(`${at}: fields ${keysA.join(', ')} vs ${keysB.join(', ')}`);
    for (const key of keysA.filter((key) => key in b)) differences((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`, found);
  } else if (a !== b) {
    found.push(`${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  return found;
}

/** Every gateway answers each query with 200, no errors and the same `data` as our router; returns the answers' sizes. */
async function checkSameAnswers(gateways: Gateway[]): Promise<Record<QueryName, number>> {
  const bytes = {} as Record<QueryName, number>;
  for (const query of QUERY_NAMES) {
    const answers = await Promise.all(gateways.map((gateway) => post(gateway.url, QUERIES[query])));
    answers.forEach((answer, i) => {
      if (answer.status !== 200 || answer.body.errors || !answer.body.data) {
        throw new Error(`${GATEWAY_LABELS[gateways[i].gateway]} answered the ${query} query with ${answer.status}: ${JSON.stringify(answer.body).slice(0, 2000)}`);
      }
    });
    for (let i = 1; i < gateways.length; i++) {
      const found = differences(answers[0].body.data, answers[i].body.data, 'data');
      if (found.length) {
        throw new Error(`${GATEWAY_LABELS[gateways[i].gateway]} answers the ${query} query differently from ${GATEWAY_LABELS[gateways[0].gateway]}:\n  ${found.join('\n  ')}`);
      }
    }
    bytes[query] = answers[0].bytes;
  }
  return bytes;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the gateways and subgraphs (`pids`) are idle; see IDLE_CORE_SHARE. */
async function settle(pids: number[]): Promise<void> {
  await sleep(1000);
  const deadline = performance.now() + 14_000;
  const cpuOf = () => pids.reduce((sum, pid) => sum + sampleProcess(pid).cpuMs, 0);
  for (;;) {
    const before = cpuOf();
    const started = performance.now();
    await sleep(500);
    if ((cpuOf() - before) / (performance.now() - started) < IDLE_CORE_SHARE || performance.now() > deadline) return;
  }
}

/** "abc1234", with what is uncommitted, naming the files that change what our router runs. */
function commitDescription(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  const changed = git('status', '--porcelain').split('\n').filter(Boolean).map((line) => line.slice(3));
  if (!changed.length) return `commit ${commit}`;
  const routerCode = changed.filter((file) => file.startsWith('gateway/') || file.startsWith('packages/'));
  const ofRouter = routerCode.length ? `, the router's own among them: ${routerCode.map((file) => `\`${file}\``).join(', ')}` : '; none of them in gateway/ or packages/';
  return `commit ${commit} with uncommitted changes in ${changed.length} files${ofRouter}`;
}

interface Summary {
  rps: number;
  /** The slowest and the fastest round, to show how much the machine's speed varied. */
  rpsRange: [number, number];
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
  peakRssMiB: number;
}

function summarize(runs: Run[]): Summary {
  return {
    rps: median(runs.map((run) => run.rps)),
    rpsRange: [Math.min(...runs.map((run) => run.rps)), Math.max(...runs.map((run) => run.rps))],
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    cpuMsPerRequest: median(runs.map((run) => run.cpuMsPerRequest)),
    peakRssMiB: Math.max(...runs.map((run) => run.peakRssMiB)),
  };
}

/** Waits (2 s at a time) until other processes use at most MAX_OTHER_CPU_SHARE of the cores, or MAX_QUIET_WAIT_MS passed. */
async function quiet(pids: number[]): Promise<void> {
  const deadline = performance.now() + MAX_QUIET_WAIT_MS;
  for (;;) {
    const before = cpuSpent(pids);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const share = otherCpuShare(before, cpuSpent(pids), performance.now() - started);
    if (share <= MAX_OTHER_CPU_SHARE || performance.now() > deadline) return;
    console.log(`  other processes use ${(100 * share).toFixed(0)} % of the cores; waiting`);
  }
}

/** A measured run on a quiet machine: contended runs are discarded (counted in `discarded`) and run again. */
async function measuredRun(gateway: Gateway, query: QueryName, pids: number[], bystanders: number[], discarded: { count: number }): Promise<Run> {
  for (let attempt = 1; ; attempt++) {
    await quiet(pids);
    const run = await load(gateway, query, SECONDS, pids, bystanders);
    if (run.otherCpuShare <= MAX_OTHER_CPU_SHARE || attempt === MAX_ATTEMPTS) return run;
    discarded.count++;
    await settle(pids);
    console.log(`  discarded ${query} through ${gateway.gateway}: other processes used ${(100 * run.otherCpuShare).toFixed(0)} % of the cores`);
  }
}

/** What else ran during the measured rounds: CPU time used by other processes, as a share of all the cores' time. */
interface Machine {
  /** Over the runs kept. */
  otherCpuShare: number;
  /** The same for the kept run with the most of it. */
  worstRunOtherCpuShare: number;
  /** What the gateways not under load used, in the kept run where they used the most. */
  worstRunBystanderCpuShare: number;
  discardedRuns: number;
}

function section(
  results: Record<QueryName, Record<GatewayName, Summary>>,
  bytes: Record<QueryName, number>,
  peakRss: Record<GatewayName, number>,
  startRss: Record<GatewayName, number>,
  machine: Machine,
  commit: string,
): string {
  const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const ratio = (value: number) => `${value.toFixed(2)}×`;
  const lines = [
    SECTION_TITLE,
    '',
    '`bench/gateways/run.ts` runs the four subgraphs of the classic federation demo (products, inventory,',
    'reviews, accounts: `Product @key(fields: "upc")`, inventory\'s `shippingEstimate @requires(fields: "price weight")`,',
    'reviews\' `author @provides(fields: "username")`) with @apollo/subgraph on plain `node:http` servers in one',
    'process, on fixed data (60 products with 4 reviews each by 48 users). It composes one supergraph',
    '(@apollo/composition) and starts four gateways over that file, each in its own process with',
    '`NODE_ENV=production`:',
    '',
    `- **${GATEWAY_LABELS.ours}**, as \`startRouterService\` starts it, under tsx as the Dockerfile runs it: every protection`,
    '  at its default (operation limits and cost estimate, CSRF prevention, APQ, the auth-directive filter, a pool,',
    '  timeout and breaker per subgraph, metrics on a port of its own, the access log at `info` into a file; the',
    '  safelist is off, its default), budgets in memory (no `REDIS_URL`) raised so that they never refuse but are still',
    '  spent on every request (`RATE_LIMIT_*` at 10⁹, the cost budget at 10¹²), its own `ROUTER_SECRET`, `DATA_DIR` in',
    '  a temp dir;',
    `- **${GATEWAY_LABELS.oursUndeduplicated}**: the same with deduplication off (each request executed on its own, every`,
    '  subgraph fetch made), to show what deduplication gives and what the rest of the router gives alone;',
    `- **${GATEWAY_LABELS.apollo}**: \`new ApolloGateway({ supergraphSdl })\``,
    '  behind `startStandaloneServer`, nothing else (also under tsx);',
    `- **${GATEWAY_LABELS.hive}**: its CLI, \`hive-gateway supergraph <file> --jit\`.`,
    '',
    `Before measuring, each gateway must answer both queries with the same \`data\` as ours (checked: ${fmt(bytes.small)} and`,
    `${fmt(bytes.large)} bytes). The **small** query is \`topProducts(first: 3)\` with reviews and authors (products →`,
    'reviews → accounts); the **large** one goes through all four subgraphs, two entity hops deep (30 products,',
    "their reviews and authors, the authors' reviews and those reviews' products with inventory's fields again;",
    'see `bench/gateways/queries.ts`).',
    '',
    `autocannon, in the bench's own process, keeps ${CONNECTIONS} connections busy for ${SECONDS} s per run, after a`,
    `${WARMUP_SECONDS} s warm-up per gateway and query. ${ROUNDS} rounds each run both queries through every gateway, the`,
    "gateways' order rotating from round to round; between runs the bench waits until the gateways and the",
    "subgraphs are idle (a gateway's garbage collection after its run included). The table shows medians over the",
    "rounds of each run's mean requests per second and its p50 and p99 latency, and of the gateway process's CPU",
    "time per request (user + system, from `/proc`); peak RSS is the most the gateway held during that query's",
    `runs (sampled every 200 ms). The load generator, the subgraphs and the gateway under load share the machine's`,
    `${os.cpus().length} cores, so the numbers compare the gateways with each other, not with other machines. The machine is`,
    `shared: before each run the bench waits until other processes use at most ${100 * MAX_OTHER_CPU_SHARE} % of the cores (\`BENCH_MAX_OTHER_CPU\`), and a run`,
    `during which they used more is discarded and run again (up to ${MAX_ATTEMPTS} times; the last attempt is kept whatever it met).`,
    'All clients send the same operation without a token, so with deduplication on, requests that arrive while an',
    'identical one is being executed share its execution: the case deduplication is for, and the best case for it.',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${commit}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}`,
    `(BENCH_ROUNDS=${ROUNDS} BENCH_SECONDS=${SECONDS} BENCH_CONNECTIONS=${CONNECTIONS}; other processes used ${(100 * machine.otherCpuShare).toFixed(1)} % of the cores during the runs kept, ${(100 * machine.worstRunOtherCpuShare).toFixed(1)} % during the one with the most; ${machine.discardedRuns} runs discarded; the idle gateways used at most ${(100 * machine.worstRunBystanderCpuShare).toFixed(1)} % during a run):`,
    '',
    '| query | gateway | requests/s (slowest–fastest round) | p50 | p99 | CPU per request | peak RSS | ours / this (requests/s) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const query of QUERY_NAMES) {
    for (const gateway of GATEWAYS) {
      const result = results[query][gateway];
      const ours = results[query].ours.rps / result.rps;
      lines.push(
        `| ${gateway === 'ours' ? `${query} (${fmt(bytes[query] / 1024, 1)} KiB)` : ''} | ${GATEWAY_LABELS[gateway]} | ${fmt(result.rps)} (${fmt(result.rpsRange[0])}–${fmt(result.rpsRange[1])}) | ${fmt(result.p50)} ms | ${fmt(result.p99)} ms | ${fmt(result.cpuMsPerRequest, 2)} ms | ${fmt(result.peakRssMiB)} MiB | ${gateway === 'ours' ? '' : ratio(ours)} |`,
      );
    }
  }
  lines.push('', '| query | ours / best other | ours / stock Apollo | without deduplication: ours / best other | ours / stock Apollo |', '|---|---|---|---|---|');
  for (const query of QUERY_NAMES) {
    const best = Math.max(...OTHER_GATEWAYS.map((gateway) => results[query][gateway].rps));
    const { ours, oursUndeduplicated, apollo } = results[query];
    lines.push(`| ${query} | ${ratio(ours.rps / best)} | ${ratio(ours.rps / apollo.rps)} | ${ratio(oursUndeduplicated.rps / best)} | ${ratio(oursUndeduplicated.rps / apollo.rps)} |`);
  }
  lines.push('', 'Resident memory of each gateway once started and answering, and the most it held over the whole run (VmHWM):', '', '| gateway | RSS when ready | peak RSS |', '|---|---|---|');
  for (const gateway of GATEWAYS) lines.push(`| ${GATEWAY_LABELS[gateway]} | ${fmt(startRss[gateway])} MiB | ${fmt(peakRss[gateway])} MiB |`);
  return `${lines.join('\n')}\n`;
}

/** Replaces the bench's section (or appends it), keeping the hand-written profile part and every other section. */
async function writeSection(text: string): Promise<void> {
  const lines = (await readFile(README, 'utf8')).split('\n');
  const start = lines.findIndex((line) => line.startsWith('## ') && line.includes('npm run bench:gateways'));
  let kept = '';
  let before = lines;
  let after: string[] = [];
  if (start >= 0) {
    const next = lines.findIndex((line, i) => i > start && line.startsWith('## '));
    const end = next < 0 ? lines.length : next;
    const old = lines.slice(start, end);
    const profile = old.findIndex((line) => line.startsWith(PROFILE_HEADING));
    if (profile >= 0) kept = `\n${old.slice(profile).join('\n').trimEnd()}\n`;
    before = lines.slice(0, start);
    after = lines.slice(end);
  }
  const head = `${before.join('\n').trimEnd()}\n\n`;
  const tail = after.length ? `\n${after.join('\n')}` : '';
  await writeFile(README, `${head}${text}${kept}${tail}`);
}

async function main() {
  // What the processes are started from: others may commit while the rounds run.
  const commit = commitDescription();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-gateways-'));
  const started: Started[] = [];
  try {
    const subgraphs = await startSubgraphs(workDir);
    started.push(subgraphs);
    const supergraphPath = path.join(workDir, 'supergraph.graphql');
    writeSupergraph(subgraphs.urls, supergraphPath);
    const gateways: Gateway[] = [];
    for (const name of GATEWAYS) {
      const gateway = await startGateway(name, supergraphPath, workDir);
      gateways.push(gateway);
      started.push(gateway);
    }
    const byName = Object.fromEntries(gateways.map((gateway) => [gateway.gateway, gateway])) as Record<GatewayName, Gateway>;
    const bytes = await checkSameAnswers(gateways);
    const startRss = Object.fromEntries(gateways.map((gateway) => [gateway.gateway, sampleProcess(gateway.process.pid!).rssMiB])) as Record<GatewayName, number>;
    console.log(`Same data from all of them (small ${bytes.small} bytes, large ${bytes.large} bytes). Warming up…`);
    const pids = started.map((process) => process.process.pid!);
    const bystandersOf = (gateway: Gateway) => gateways.filter((other) => other !== gateway).map((other) => other.process.pid!);

    for (const query of QUERY_NAMES) {
      for (const gateway of gateways) {
        await load(gateway, query, WARMUP_SECONDS, pids, bystandersOf(gateway));
        await settle(pids);
      }
    }
    const discarded = { count: 0 };
    const runs = Object.fromEntries(QUERY_NAMES.map((query) => [query, Object.fromEntries(GATEWAYS.map((name) => [name, [] as Run[]]))])) as Record<QueryName, Record<GatewayName, Run[]>>;
    for (let round = 0; round < ROUNDS; round++) {
      const order = GATEWAYS.map((_, i) => GATEWAYS[(i + round) % GATEWAYS.length]);
      for (const query of QUERY_NAMES) {
        for (const name of order) {
          const run = await measuredRun(byName[name], query, pids, bystandersOf(byName[name]), discarded);
          runs[query][name].push(run);
          console.log(`round ${round + 1}/${ROUNDS} ${query.padEnd(5)} ${name.padEnd(6)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  ${run.cpuMsPerRequest.toFixed(2)} ms CPU/req  ${run.peakRssMiB.toFixed(0)} MiB  (others used ${(100 * run.otherCpuShare).toFixed(0)} % of the cores, the idle gateways ${(100 * run.bystanderCpuShare).toFixed(1)} %)`);
          await settle(pids);
        }
      }
    }

    const results = Object.fromEntries(
      QUERY_NAMES.map((query) => [query, Object.fromEntries(GATEWAYS.map((name) => [name, summarize(runs[query][name])]))]),
    ) as Record<QueryName, Record<GatewayName, Summary>>;
    const peakRss = Object.fromEntries(gateways.map((gateway) => [gateway.gateway, sampleProcess(gateway.process.pid!).peakRssMiB])) as Record<GatewayName, number>;
    const kept = QUERY_NAMES.flatMap((query) => GATEWAYS.flatMap((name) => runs[query][name]));
    const machine = {
      otherCpuShare: kept.reduce((sum, run) => sum + run.otherCpuShare, 0) / kept.length,
      worstRunOtherCpuShare: Math.max(...kept.map((run) => run.otherCpuShare)),
      worstRunBystanderCpuShare: Math.max(...kept.map((run) => run.bystanderCpuShare)),
      discardedRuns: discarded.count,
    };
    const text = section(results, bytes, peakRss, startRss, machine, commit);
    console.log(`\n${text}`);
    await writeSection(text);
    console.log(`Wrote the section into ${path.relative(process.cwd(), README)}.`);
  } finally {
    for (const process of started.reverse()) await stop(process);
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
