/**
 * `npm run bench:chat`: one message to 500 live subscribers of one room. Runs auth, users, chat and
 * the router as four processes (as docker compose does), then, side by side in alternating phases:
 *   router+users — 500 clients subscribed through the router, `sender { nickname }` from users;
 *   router      — the same through the router, chat's fields only (no per-event users fetch);
 *   direct      — 500 clients subscribed to the chat subgraph itself (the baseline).
 * Each round sends one message over HTTP and times, per subscriber, send → receipt. The router's
 * resident memory is read before and after its first 500 subscriptions open.
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
import { post } from '../test/support/graphql';
import { freePort } from '../test/support/infra';
import { eventually, health, wsClient } from '../test/support/ws';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 500);
const MEMBERS = 50; // a GROUP room holds 100; each member has several connections, like several devices
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CYCLES = 2;
const ROOT = path.resolve(__dirname, '..');

type Mode = 'router+users' | 'router' | 'direct';
const QUERIES: Record<Mode, string> = {
  'router+users': 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text createdAt sender { id nickname avatarUrl } } }',
  router: 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text createdAt sender { id } } }',
  direct: 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text createdAt sender { id } } }',
};

interface Service {
  name: string;
  url: string;
  process: ChildProcess;
}

async function startProcess(name: string, entry: string, env: Record<string, string>, url: string): Promise<Service> {
  // node --import tsx (not the tsx CLI, which runs a second process) so that the pid is the service's.
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`))));
  exited.catch(() => undefined);
  await Promise.race([eventually(async () => (await fetch(url.replace(/\/graphql$/, '/health')).catch(() => null))?.ok === true, `${name} healthy`, 60_000), exited]);
  return { name, url, process: child };
}

async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

async function main() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-bench-'));
  const ports = { auth: await freePort(), users: await freePort(), chat: await freePort(), router: await freePort() };
  const url = (port: number) => `http://127.0.0.1:${port}/graphql`;
  const serverDatabases = process.env.DATABASE_URL ? ['auth', 'users', 'chat'].map((service) => `bench_${service}_${randomBytes(4).toString('hex')}`) : [];
  const databaseEnv: Record<string, string> = {};
  serverDatabases.forEach((name, i) => {
    const target = new URL(process.env.DATABASE_URL!);
    target.pathname = `/${name}`;
    databaseEnv[`${['AUTH', 'USERS', 'CHAT'][i]}_DATABASE_URL`] = target.toString();
  });
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
    ...databaseEnv,
  };
  const services: Service[] = [];
  const clients: Client[] = [];
  try {
    services.push(await startProcess('auth', 'subgraphs/auth/src/index.ts', env, url(ports.auth)));
    services.push(await startProcess('users', 'subgraphs/users/src/index.ts', env, url(ports.users)));
    services.push(await startProcess('chat', 'subgraphs/chat/src/index.ts', env, url(ports.chat)));
    const router = await startProcess('router', 'gateway/src/index.ts', env, url(ports.router));
    services.push(router);

    const members: { token: string }[] = [];
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
      { input: { kind: 'GROUP', title: 'Fan-out', memberIds: members.slice(1).map((member) => (member as unknown as { id: string }).id) } },
      bearer(0),
    );
    const roomId: string = created.data!.createChatRoom.id;
    const chatSubscriptions = async () => (await health<{ subscriptions: number }>(url(ports.chat))).subscriptions;

    // Each message id → when each subscriber received it.
    const received = new Map<string, number[]>();
    async function open(mode: Mode) {
      const target = mode === 'direct' ? url(ports.chat) : router.url;
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const client = wsClient(target, bearer(i));
        clients.push(client);
        client.subscribe<{ messageAdded: { id: string } }>(
          { query: QUERIES[mode], variables: { roomId } },
          {
            next: (event) => {
              const at = performance.now();
              if (event.errors || !event.data) throw new Error(`subscriber ${i}: ${JSON.stringify(event.errors)}`);
              // Events may arrive before the sender's HTTP answer names the message.
              const id = event.data.messageAdded.id;
              received.set(id, [...(received.get(id) ?? []), at]);
            },
            error: (error) => console.error(`subscriber ${i} failed:`, error),
            complete: () => undefined,
          },
        );
      }
      await eventually(async () => (await chatSubscriptions()) === SUBSCRIBERS, `${SUBSCRIBERS} subscriptions live`, 60_000);
    }
    async function closeAll() {
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
      await eventually(async () => (await chatSubscriptions()) === 0, 'subscriptions closed', 60_000);
    }
    async function round(): Promise<number[]> {
      const started = performance.now();
      const response = await post(
        router.url,
        'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
        { input: { roomId, text: `ping ${randomUUID()}`, clientMessageId: randomUUID() } },
        bearer(0),
      );
      const id: string = response.data!.sendMessage.id;
      await eventually(() => (received.get(id)?.length ?? 0) >= SUBSCRIBERS, `all ${SUBSCRIBERS} received message ${id}`, 60_000);
      const times = received.get(id)!;
      received.delete(id);
      return times.map((at) => at - started).sort((a, b) => a - b);
    }

    const results: Record<Mode, { p50: number[]; p99: number[]; max: number[] }> = {
      'router+users': { p50: [], p99: [], max: [] },
      router: { p50: [], p99: [], max: [] },
      direct: { p50: [], p99: [], max: [] },
    };
    let memory: { before: number; after: number } | undefined;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      for (const mode of Object.keys(results) as Mode[]) {
        const before = await residentMiB(router.process.pid!);
        await open(mode);
        if (!memory && mode !== 'direct') {
          await new Promise((resolve) => setTimeout(resolve, 3000)); // let connection setup garbage go
          memory = { before, after: await residentMiB(router.process.pid!) };
        }
        await round(); // warm-up: first event plans and caches
        for (let i = 0; i < ROUNDS; i++) {
          const latencies = await round();
          results[mode].p50.push(percentile(latencies, 50));
          results[mode].p99.push(percentile(latencies, 99));
          results[mode].max.push(latencies[latencies.length - 1]);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await closeAll();
      }
    }

    const fmt = (n: number) => n.toFixed(1).padStart(8);
    const direct = median(results.direct.p50);
    console.log(`chat fan-out: ${SUBSCRIBERS} subscribers in one room, ${ROUNDS * CYCLES} messages per path (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${process.env.REDIS_URL ? 'Redis' : 'in-process'})`);
    console.log('path              p50 (median)   p99 (median)   last (median)   p50 / direct   (ms, send → receipt)');
    for (const mode of Object.keys(results) as Mode[]) {
      const { p50, p99, max } = results[mode];
      console.log(`${mode.padEnd(14)} ${fmt(median(p50))}       ${fmt(median(p99))}       ${fmt(median(max))}        ${(median(p50) / direct).toFixed(2)}x`);
    }
    if (memory) {
      const perSubscription = ((memory.after - memory.before) * 1024) / SUBSCRIBERS;
      console.log(`router RSS ${memory.before.toFixed(1)} → ${memory.after.toFixed(1)} MiB with ${SUBSCRIBERS} idle subscriptions: ${perSubscription.toFixed(1)} KiB each (client connection + upstream connection)`);
    }
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    for (const service of services.reverse()) {
      service.process.kill('SIGTERM');
      await new Promise((resolve) => (service.process.exitCode === null ? service.process.once('exit', resolve) : resolve(null)));
    }
    await rm(dataDir, { recursive: true, force: true });
    await dropDatabases(serverDatabases);
  }
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
