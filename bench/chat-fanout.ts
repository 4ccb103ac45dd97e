/**
 * `npm run bench:chat`: one message to N live subscribers of one room, for each N of
 * BENCH_SUBSCRIBERS (500,2000,10000). Runs auth, users, chat and the router as four processes (as
 * docker compose does), then, per N, side by side in alternating phases:
 *   router+users — N clients subscribed through the router, `sender { nickname avatarUrl }` from users;
 *   router      — the same through the router, chat's fields only (no per-event users fetch);
 *   direct      — N clients subscribed to the chat subgraph itself (the baseline);
 *   floor       — N clients of bench/fanout-floor.ts, which writes one prebuilt event to N sockets
 *                 and does nothing else: what delivering to N sockets costs on this machine.
 * Each round sends one message over HTTP and times, per subscriber, send → receipt; it also counts
 * the requests users served meanwhile (its /metrics), which are the plan's `_entities` calls. The
 * router starts afresh for each N, and its resident memory is read before and after its first N
 * subscriptions open, with the upstream sockets it then holds (its /health).
 * The router's budgets are the bench's own (env below): the sign-ups and N sockets from one
 * address would otherwise be refused as an attack.
 * Uses DATABASE_URL/REDIS_URL when set (fresh bench databases, dropped afterwards), embedded otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from 'graphql-ws';
import { Client as PgClient } from 'pg';
import { ROUTER_SECRET_HEADER } from '@dorandoran/service-kit';
import WebSocket from 'ws';
import { post } from '@dorandoran/test-support/graphql';
import { freePort } from '@dorandoran/test-support/infra';
import { eventually, health, wsClient } from '@dorandoran/test-support/ws';

const SUBSCRIBER_COUNTS = (process.env.BENCH_SUBSCRIBERS ?? '500,2000,10000').split(',').map(Number);
const MEMBERS = 50; // a GROUP room holds 100; each member has several connections, like several devices
/** Rounds per phase: fewer for large N, where one round of the slow path takes seconds. */
const roundsFor = (subscribers: number) => Number(process.env.BENCH_ROUNDS ?? (subscribers <= 500 ? 10 : subscribers <= 2000 ? 5 : 3));
/** BENCH_MEMORY_ONLY=1: only the router+users path, one cycle: retained memory and CPU per delivered event. */
const MEMORY_ONLY = process.env.BENCH_MEMORY_ONLY === '1';
/** BENCH_HEAP_SNAPSHOT=1: heap snapshots before and after the N open, the growth summarised by constructor. */
const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT === '1';
/** BENCH_CPU_PROFILE=1: the router's CPU profile over the phase's last round, self time by function. */
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE === '1';
const cyclesFor = (subscribers: number) => (MEMORY_ONLY ? 1 : subscribers <= 500 ? 2 : 1);
const ROOT = path.resolve(__dirname, '..');

type Mode = 'router+users' | 'router' | 'direct' | 'floor';
const ALL_MODES: Mode[] = ['router+users', 'router', 'direct', 'floor'];
const MODES: Mode[] = MEMORY_ONLY ? ['router+users'] : ALL_MODES;
const QUERIES: Record<Mode, string> = {
  'router+users': 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text createdAt sender { id nickname avatarUrl } } }',
  router: 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text createdAt sender { id } } }',
  direct: 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text createdAt sender { id } } }',
  floor: 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text createdAt sender { id } } }',
};

interface Service {
  name: string;
  url: string;
  process: ChildProcess;
}

async function startProcess(name: string, entry: string, env: Record<string, string>, url: string, nodeArgs: string[] = []): Promise<Service> {
  // node --import tsx (not the tsx CLI, which runs a second process) so that the pid is the service's.
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`))));
  exited.catch(() => undefined);
  try {
    await Promise.race([eventually(async () => (await fetch(url.replace(/\/graphql$/, '/health')).catch(() => null))?.ok === true, `${name} healthy`, 180_000), exited]);
  } catch (error) {
    // Not yet among the services the bench stops at the end: stopped here, or it would outlive the bench.
    child.kill('SIGKILL');
    throw error;
  }
  return { name, url, process: child };
}

async function stopProcess(service: Service) {
  service.process.kill('SIGTERM');
  await new Promise((resolve) => (service.process.exitCode === null ? service.process.once('exit', resolve) : resolve(null)));
}

async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** User + system CPU time the process has used so far, in µs (/proc/<pid>/stat, clock ticks of 10 ms). */
async function cpuMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

/** The Chrome DevTools Protocol over a process's inspector WebSocket. */
async function inspector(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl, { maxPayload: 2 ** 31 });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let next = 0;
  const pending = new Map<number, { resolve(result: any): void; reject(error: Error): void }>();
  const listeners = new Map<string, (params: any) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.id !== undefined) {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiting?.reject(new Error(message.error.message));
      else waiting?.resolve(message.result);
    } else listeners.get(message.method)?.(message.params);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<any>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    call,
    /** Full GC (twice: weak callbacks and finalizers free more on the second), then the JS heap used, in bytes. */
    async heapUsedAfterGc(): Promise<number> {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      return (await call('Runtime.getHeapUsage')).usedSize;
    },
    /** Self size and count per node type and constructor/name. */
    async snapshotByConstructor(): Promise<Map<string, { size: number; count: number }>> {
      const chunks: string[] = [];
      listeners.set('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
      await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      listeners.delete('HeapProfiler.addHeapSnapshotChunk');
      const snapshot = JSON.parse(chunks.join(''));
      const fields: string[] = snapshot.snapshot.meta.node_fields;
      const types: string[] = snapshot.snapshot.meta.node_types[0];
      const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field));
      const summary = new Map<string, { size: number; count: number }>();
      const nodes: number[] = snapshot.nodes;
      for (let i = 0; i < nodes.length; i += fields.length) {
        const type = types[nodes[i + typeAt]];
        const name = type === 'object' || type === 'closure' || type === 'native' ? snapshot.strings[nodes[i + nameAt]] : '';
        const key = `${type}${name ? ` ${String(name).slice(0, 60)}` : ''}`;
        const entry = summary.get(key) ?? { size: 0, count: 0 };
        entry.size += nodes[i + sizeAt];
        entry.count++;
        summary.set(key, entry);
      }
      return summary;
    },
    close: () => socket.close(),
  };
}

/** Requests the service has answered so far (every operation, from its /metrics). */
async function requestsServed(graphqlUrl: string): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  return [...text.matchAll(/^graphql_request_duration_seconds_count\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

interface PathResult {
  p50: number[];
  p99: number[];
  max: number[];
  /** Requests users served per message. */
  usersCalls: number[];
  /** Sockets the router held open to chat with all N subscribed. */
  upstreamSockets?: number;
}

interface CountResult {
  subscribers: number;
  paths: Record<Mode, PathResult>;
  memory?: { before: number; after: number };
  /** After a full GC (inspector): JS heap used and RSS, MiB, before and after the N subscriptions open. */
  retained?: { heapBefore: number; heapAfter: number; rssBefore: number; rssAfter: number };
  /** Router CPU per delivered event, µs (router+users path; one per round). */
  cpuPerEvent: number[];
  /** The floor server's CPU per delivered event, µs (one per round). */
  floorCpuPerEvent: number[];
}

async function main() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-bench-'));
  const ports = { auth: await freePort(), users: await freePort(), chat: await freePort(), router: await freePort(), inspector: await freePort(), floor: await freePort() };
  const routerArgs = [`--inspect=127.0.0.1:${ports.inspector}`];
  const url = (port: number) => `http://127.0.0.1:${port}/graphql`;
  const serverDatabases = process.env.DATABASE_URL ? ['auth', 'users', 'chat'].map((service) => `bench_${service}_${randomBytes(4).toString('hex')}`) : [];
  const databaseEnv: Record<string, string> = {};
  serverDatabases.forEach((name, i) => {
    const target = new URL(process.env.DATABASE_URL!);
    target.pathname = `/${name}`;
    databaseEnv[`${['AUTH', 'USERS', 'CHAT'][i]}_DATABASE_URL`] = target.toString();
  });
  const largest = Math.max(...SUBSCRIBER_COUNTS);
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    ROUTER_SECRET: randomBytes(24).toString('base64url'),
    AUTH_PORT: String(ports.auth),
    USERS_PORT: String(ports.users),
    CHAT_PORT: String(ports.chat),
    ROUTER_PORT: String(ports.router),
    AUTH_URL: url(ports.auth),
    USERS_URL: url(ports.users),
    CHAT_URL: url(ports.chat),
    AUTH_JWKS_URL: `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`,
    PASSWORD_HASH_MEMORY_KIB: '8192',
    PASSWORD_HASH_TIME_COST: '1',
    // A run at 10,000 lasts longer than the default 15 minutes of a token.
    ACCESS_TOKEN_TTL: '4h',
    // The bench's own budgets: every client is on 127.0.0.1, and each socket spends one request.
    RATE_LIMIT_IP: String(10 * largest + 10_000),
    RATE_LIMIT_USER: String(10 * largest + 10_000),
    RATE_LIMIT_AUTH: String(10 * MEMBERS),
    MAX_WEBSOCKETS_PER_IP: String(largest + 100),
    ...databaseEnv,
  };
  const services: Service[] = [];
  const clients: Client[] = [];
  let router: Service | undefined;
  const results: CountResult[] = [];
  try {
    services.push(await startProcess('auth', 'subgraphs/auth/src/index.ts', env, url(ports.auth)));
    services.push(await startProcess('users', 'subgraphs/users/src/index.ts', env, url(ports.users)));
    services.push(await startProcess('chat', 'subgraphs/chat/src/index.ts', env, url(ports.chat)));
    const floor = MEMORY_ONLY ? undefined : await startProcess('floor', 'bench/fanout-floor.ts', { FLOOR_PORT: String(ports.floor) }, url(ports.floor));
    if (floor) services.push(floor);
    router = await startProcess('router', 'gateway/src/index.ts', env, url(ports.router), routerArgs);

    const members: { token: string; id: string }[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const input = { email: `bench.${randomUUID()}@example.com`, password: 'bench password 1', nickname: `Member ${i}` };
      const response = await post(router.url, 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }', { input });
      if (!response.data?.signUp) throw new Error(JSON.stringify(response.errors));
      members.push({ token: response.data.signUp.accessToken, ...response.data.signUp.user });
    }
    const bearer = (i: number) => ({ authorization: `Bearer ${members[i % MEMBERS].token}` });
    const created = await post(
      router.url,
      'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }',
      { input: { kind: 'GROUP', title: 'Fan-out', memberIds: members.slice(1).map((member) => member.id) } },
      bearer(0),
    );
    const roomId: string = created.data!.createChatRoom.id;
    const chatSubscriptions = async () => (await health<{ subscriptions: number }>(url(ports.chat))).subscriptions;
    const routerStats = async () =>
      (await health<{ subscriptions: { subscriptions: number; upstreamConnections: number; upstreamSubscriptions: number } }>(router!.url)).subscriptions;

    const running = async (mode: Mode) =>
      mode === 'direct' ? chatSubscriptions() : mode === 'floor' ? (await health<{ subscriptions: number }>(url(ports.floor))).subscriptions : (await routerStats()).subscriptions;
    // Each message id → when each subscriber received it.
    const received = new Map<string, number[]>();
    async function open(mode: Mode, subscribers: number) {
      const target = mode === 'direct' ? url(ports.chat) : mode === 'floor' ? url(ports.floor) : router!.url;
      // Straight to chat, a client presents what the router would: the token and the router secret.
      const direct: Record<string, string> = mode === 'direct' ? { [ROUTER_SECRET_HEADER]: env.ROUTER_SECRET } : {};
      for (let i = 0; i < subscribers; i++) {
        const client = wsClient(target, { ...bearer(i), ...direct });
        clients.push(client);
        client.subscribe<{ messageAdded: { id: string } }>(
          { query: QUERIES[mode], variables: { roomId } },
          {
            next: (event) => {
              const at = performance.now();
              if (event.errors || !event.data) throw new Error(`subscriber ${i}: ${JSON.stringify(event.errors)}`);
              // Events may arrive before the sender's HTTP answer names the message.
              const id = event.data.messageAdded.id;
              const times = received.get(id);
              if (times) times.push(at);
              else received.set(id, [at]);
            },
            error: (error) => {
              const { code, reason } = error as { code?: number; reason?: string };
              console.error(`subscriber ${i} failed:`, code === undefined ? error : `${code} ${reason}`);
            },
            complete: () => undefined,
          },
        );
        // Opened in batches, each running before the next: on a busy machine, thousands at once
        // would time out their own connection_init.
        if ((i + 1) % 100 === 0 || i + 1 === subscribers) await eventually(async () => (await running(mode)) === i + 1, `${i + 1} subscriptions running`, 60_000);
      }
      const live = async () => {
        if (mode === 'direct' || mode === 'floor') return true;
        // Through the router: chat serves every upstream subscription the router holds.
        return (await chatSubscriptions()) === (await routerStats()).upstreamSubscriptions;
      };
      await eventually(live, `${subscribers} subscriptions live`, 60_000);
    }
    async function closeAll(mode: Mode) {
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
      await eventually(async () => (await (mode === 'floor' ? running('floor') : chatSubscriptions())) === 0, 'subscriptions closed', 120_000);
    }
    /** Sends one message: through the router, or (floor) straight to the floor server. */
    async function send(mode: Mode): Promise<string> {
      const text = `ping ${randomUUID()}`;
      if (mode === 'floor') {
        const sent = await fetch(url(ports.floor).replace(/\/graphql$/, '/send'), { method: 'POST', body: JSON.stringify({ id: randomUUID(), text }) });
        return ((await sent.json()) as { data: { sendMessage: { id: string } } }).data.sendMessage.id;
      }
      const response = await post(router!.url, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { roomId, text, clientMessageId: randomUUID() } }, bearer(0));
      return response.data!.sendMessage.id;
    }
    async function round(mode: Mode, subscribers: number): Promise<{ latencies: number[]; usersCalls: number; cpuPerEvent: number }> {
      const usersBefore = await requestsServed(url(ports.users));
      // The CPU of the process that fans the message out: the floor server on its path, else the router.
      const fanningOut = (mode === 'floor' ? floor! : router!).process.pid!;
      const cpuBefore = await cpuMicros(fanningOut);
      const started = performance.now();
      const id = await send(mode);
      await eventually(() => (received.get(id)?.length ?? 0) >= subscribers, `all ${subscribers} received message ${id}`, 60_000 + 20 * subscribers);
      const cpuPerEvent = ((await cpuMicros(fanningOut)) - cpuBefore) / subscribers;
      const times = received.get(id)!;
      received.delete(id);
      // The sender's sendMessage itself is not a users call; everything users served meanwhile was the plan's.
      const usersCalls = (await requestsServed(url(ports.users))) - usersBefore;
      return { latencies: times.map((at) => at - started).sort((a, b) => a - b), usersCalls, cpuPerEvent };
    }

    for (const subscribers of SUBSCRIBER_COUNTS) {
      // A fresh router for each N, so that its memory is that N's alone.
      if (!router) router = await startProcess('router', 'gateway/src/index.ts', env, url(ports.router), routerArgs);
      const result: CountResult = {
        subscribers,
        cpuPerEvent: [],
        floorCpuPerEvent: [],
        paths: Object.fromEntries(ALL_MODES.map((mode) => [mode, { p50: [], p99: [], max: [], usersCalls: [] }])) as unknown as Record<Mode, PathResult>,
      };
      for (let cycle = 0; cycle < cyclesFor(subscribers); cycle++) {
        for (const mode of MODES) {
          const throughRouter = mode === 'router+users' || mode === 'router';
          const measureRetained = !result.retained && throughRouter;
          const debug = measureRetained ? await inspector(ports.inspector) : undefined;
          const heapBefore = debug ? await debug.heapUsedAfterGc() : 0;
          const rssBefore = await residentMiB(router.process.pid!);
          const snapshotBefore = debug && HEAP_SNAPSHOT ? await debug.snapshotByConstructor() : undefined;
          const before = await residentMiB(router.process.pid!);
          await open(mode, subscribers);
          if (throughRouter) result.paths[mode].upstreamSockets = (await routerStats()).upstreamConnections;
          if (!result.memory && throughRouter) {
            await new Promise((resolve) => setTimeout(resolve, 3000)); // let connection setup garbage go
            result.memory = { before, after: await residentMiB(router.process.pid!) };
          }
          if (debug) {
            const heapAfter = await debug.heapUsedAfterGc();
            result.retained = { heapBefore: heapBefore / 2 ** 20, heapAfter: heapAfter / 2 ** 20, rssBefore, rssAfter: await residentMiB(router.process.pid!) };
            if (snapshotBefore) {
              const snapshotAfter = await debug.snapshotByConstructor();
              const growth = [...snapshotAfter].map(([key, { size, count }]) => ({ key, size: size - (snapshotBefore.get(key)?.size ?? 0), count: count - (snapshotBefore.get(key)?.count ?? 0) }));
              growth.sort((a, b) => b.size - a.size);
              console.log(`heap growth by constructor with ${subscribers} subscribers open (bytes and objects per subscriber):`);
              for (const { key, size, count } of growth.slice(0, 40)) console.log(`  ${(size / subscribers).toFixed(0).padStart(7)} B ${(count / subscribers).toFixed(2).padStart(7)}  ${key}`);
            }
            debug.close();
          }
          await round(mode, subscribers); // warm-up: first event plans and caches
          for (let i = 0; i < roundsFor(subscribers); i++) {
            const profiler = CPU_PROFILE && mode === 'router+users' && i === roundsFor(subscribers) - 1 ? await inspector(ports.inspector) : undefined;
            if (profiler) {
              await profiler.call('Profiler.enable');
              await profiler.call('Profiler.setSamplingInterval', { interval: 100 });
              await profiler.call('Profiler.start');
            }
            const { latencies, usersCalls, cpuPerEvent } = await round(mode, subscribers);
            if (profiler) {
              const { profile } = await profiler.call('Profiler.stop');
              profiler.close();
              const self = new Map<string, number>();
              const hits = new Map<number, number>();
              for (const sample of profile.samples as number[]) hits.set(sample, (hits.get(sample) ?? 0) + 1);
              let total = 0;
              for (const node of profile.nodes as { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]) {
                const { functionName, url: file, lineNumber } = node.callFrame;
                if (functionName === '(idle)' || functionName === '(program)') continue;
                const key = `${functionName || '(anonymous)'} ${file.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
                const count = hits.get(node.id) ?? 0;
                total += count;
                self.set(key, (self.get(key) ?? 0) + count);
              }
              console.log(`router CPU profile of one message to ${subscribers} (self samples, ${total} busy in all):`);
              for (const [key, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${((100 * count) / total).toFixed(1).padStart(5)}%  ${key}`);
            }
            if (mode === 'router+users') result.cpuPerEvent.push(cpuPerEvent);
            if (mode === 'floor') result.floorCpuPerEvent.push(cpuPerEvent);
            const path = result.paths[mode];
            path.p50.push(percentile(latencies, 50));
            path.p99.push(percentile(latencies, 99));
            path.max.push(latencies[latencies.length - 1]);
            path.usersCalls.push(usersCalls);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          await closeAll(mode);
        }
      }
      results.push(result);
      report(result);
      await stopProcess(router);
      router = undefined;
    }
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    if (router) await stopProcess(router);
    for (const service of services.reverse()) await stopProcess(service);
    await rm(dataDir, { recursive: true, force: true });
    await dropDatabases(serverDatabases);
  }
  console.log(`\nchat fan-out, one room (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${process.env.REDIS_URL ? 'Redis' : 'in-process'}), medians over each phase's rounds:`);
  console.log('| subscribers | path | p50 | p99 | last | p50 vs direct | p99 vs floor | router memory per subscriber | upstream sockets | users calls per message |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const result of results) for (const line of tableRows(result)) console.log(line);
}

function tableRows({ subscribers, paths, memory }: CountResult): string[] {
  const baseline = (mode: Mode, values: (path: PathResult) => number[]) => (paths[mode].p50.length ? median(values(paths[mode])) : NaN);
  const direct = baseline('direct', (path) => path.p50);
  const floor = baseline('floor', (path) => path.p99);
  const ratio = (value: number, to: number) => (Number.isNaN(to) ? '' : `${(value / to).toFixed(2)}×`);
  const perSubscriber = memory ? `${(((memory.after - memory.before) * 1024) / subscribers).toFixed(1)} KiB` : '';
  return MODES.map((mode, i) => {
    const { p50, p99, max, usersCalls, upstreamSockets } = paths[mode];
    const ms = (values: number[]) => `${median(values).toFixed(0)} ms`;
    return `| ${i === 0 ? subscribers.toLocaleString('en') : ''} | ${mode} | ${ms(p50)} | ${ms(p99)} | ${ms(max)} | ${ratio(median(p50), direct)} | ${ratio(median(p99), floor)} | ${
      i === 0 ? perSubscriber : ''
    } | ${upstreamSockets ?? ''} | ${median(usersCalls)} |`;
  });
}

function report(result: CountResult) {
  console.log(`${result.subscribers} subscribers (${roundsFor(result.subscribers) * cyclesFor(result.subscribers)} messages per path):`);
  for (const line of tableRows(result)) console.log(line);
  if (result.retained) {
    const { heapBefore, heapAfter, rssBefore, rssAfter } = result.retained;
    const perSubscriber = (before: number, after: number) => (((after - before) * 1024) / result.subscribers).toFixed(1);
    console.log(
      `after full GC: router JS heap used ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MiB (${perSubscriber(heapBefore, heapAfter)} KiB per subscriber), ` +
        `RSS ${rssBefore.toFixed(1)} → ${rssAfter.toFixed(1)} MiB (${perSubscriber(rssBefore, rssAfter)} KiB per subscriber)`,
    );
  }
  const cpuLine = (who: string, values: number[]) => {
    if (values.length) console.log(`${who} CPU per delivered event: median ${median(values).toFixed(1)} µs over ${values.length} rounds (${values.map((value) => value.toFixed(1)).join(', ')})`);
  };
  cpuLine('router (router+users)', result.cpuPerEvent);
  cpuLine('floor server', result.floorCpuPerEvent);
  if (result.memory) console.log(`router RSS ${result.memory.before.toFixed(1)} → ${result.memory.after.toFixed(1)} MiB with ${result.subscribers} idle subscriptions`);
}

async function dropDatabases(names: string[]) {
  if (!names.length) return;
  const admin = new URL(process.env.DATABASE_URL!);
  admin.pathname = '/postgres';
  const client = new PgClient({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
