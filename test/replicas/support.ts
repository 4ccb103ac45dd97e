import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import { ok, request, sleep, type Outcome, type Person } from '../faults/helpers';
import type { ProcessStack, ServiceName } from '@dorandoran/test-support/processes';

/**
 * A round-robin load balancer for one service, at the TCP level: each connection goes to the next
 * instance in rotation and stays with it (as a Kubernetes Service's does), so WebSockets pass through
 * untouched. Plain HTTP connections and WebSocket upgrades rotate separately, so that a test opening
 * subscriptions one by one spreads them over the instances whatever HTTP traffic does meanwhile. A
 * connection the chosen instance refuses goes to the next one (a load balancer's health check would
 * have taken a dead instance out); an instance taken out of rotation keeps the connections it has.
 */
export interface Balancer {
  /** The service's URL as every other process and the test's clients are given it. */
  url: string;
  /** The instances' GraphQL URLs in rotation now. */
  readonly targets: string[];
  add(instanceUrl: string): void;
  remove(instanceUrl: string): void;
  /** WebSocket connections open now through the balancer, by instance URL. */
  websockets(): Map<string, number>;
  close(): Promise<void>;
}

export async function startBalancer(instanceUrls: string[]): Promise<Balancer> {
  const targets = [...instanceUrls];
  const turns = { http: 0, websocket: 0 };
  const open = new Set<net.Socket>();
  const websockets = new Map<net.Socket, string>();

  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    client.once('data', (first: Buffer) => {
      client.pause();
      const kind = /^upgrade:\s*websocket/im.test(first.toString('latin1')) ? 'websocket' : 'http';
      const start = turns[kind]++;
      const order = targets.map((_, i) => targets[(start + i) % targets.length]);
      const attempt = (index: number) => {
        if (index >= order.length || client.destroyed) return void client.destroy();
        const target = new URL(order[index]);
        const upstream = net.connect(Number(target.port), target.hostname);
        let connected = false;
        open.add(upstream);
        upstream.on('error', () => {
          if (connected) return void client.destroy();
          // Refused: this instance is down; the next one takes the connection.
          open.delete(upstream);
          attempt(index + 1);
        });
        upstream.once('connect', () => {
          connected = true;
          upstream.on('close', () => {
            open.delete(upstream);
            websockets.delete(client);
            client.destroy();
          });
          client.on('close', () => upstream.destroy());
          if (kind === 'websocket') websockets.set(client, order[index]);
          upstream.write(first);
          client.pipe(upstream);
          upstream.pipe(client);
        });
      };
      attempt(0);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    get targets() {
      return [...targets];
    },
    add(instanceUrl) {
      if (!targets.includes(instanceUrl)) targets.push(instanceUrl);
    },
    remove(instanceUrl) {
      const index = targets.indexOf(instanceUrl);
      if (index >= 0) targets.splice(index, 1);
    },
    websockets() {
      const counts = new Map<string, number>(targets.map((target) => [target, 0]));
      for (const target of websockets.values()) counts.set(target, (counts.get(target) ?? 0) + 1);
      return counts;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** What a client may send again: the request did not get an answer (refused, reset), or the graph said a service was unavailable. */
export const retryable = (outcome: Outcome) =>
  outcome.status === 'network-error' || outcome.status === 502 || outcome.status === 503 || (outcome.codes.length > 0 && outcome.codes.every((code) => code === 'SERVICE_UNAVAILABLE'));

export interface Attempted {
  label: string;
  /** Every attempt, in order; the last is the answer the client kept. */
  attempts: Outcome[];
  readonly final: Outcome;
}

/**
 * Sends the operation until it is answered, sending it again (the same body: mutations here carry
 * their idempotency key) while the failure is one a client may retry, for up to `giveUpMs`.
 */
export async function withRetries(send: () => Promise<Outcome>, giveUpMs = 20_000): Promise<Attempted> {
  const started = Date.now();
  const attempts: Outcome[] = [];
  for (;;) {
    const outcome = await send();
    attempts.push(outcome);
    if (!retryable(outcome) || Date.now() - started > giveUpMs) break;
    await sleep(Math.min(200 * attempts.length, 1000));
  }
  return { label: attempts[0].label, attempts, get final() {
    return attempts[attempts.length - 1];
  } };
}

/**
 * One graphql-ws client on one subscription, recording what it receives and how its socket ends.
 * No retries: a close or an error is what the test looks at.
 */
export function watch<T = Record<string, any>>(routerUrl: string, person: Person, query: string, variables: Record<string, unknown>) {
  const events: T[] = [];
  const errors: unknown[] = [];
  const closeCodes: number[] = [];
  let connections = 0;
  let done = false;
  const client: Client = createClient({
    url: routerUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: person.headers.authorization },
    retryAttempts: 0,
    on: {
      connected: () => void connections++,
      closed: (event) => void closeCodes.push((event as { code: number }).code),
    },
  });
  client.subscribe<T>(
    { query, variables },
    {
      next: (result) => void (result.errors ? errors.push(result.errors) : events.push(result.data as T)),
      error: (error) => void errors.push(error),
      complete: () => void (done = true),
    },
  );
  return {
    events,
    errors,
    closeCodes,
    get connections() {
      return connections;
    },
    get completed() {
      return done;
    },
    dispose: () => client.dispose(),
  };
}
export type Watcher = ReturnType<typeof watch<Record<string, any>>>;

/** Makes the person an administrator as an operator does (`npm run admin:create`), then signs in again for a token with the admin scope. */
export async function makeAdmin(stack: ProcessStack, person: Person): Promise<Person> {
  const command = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/auth/src/commands/adminCreate.ts', '--email', person.email], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { PATH: process.env.PATH, ...stack.env, DATA_DIR: path.join(path.dirname(stack.logFile), 'admin-create') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  command.stdout!.on('data', (chunk) => (output += chunk));
  command.stderr!.on('data', (chunk) => (output += chunk));
  const [code] = await once(command, 'exit');
  if (code !== 0) throw new Error(`admin:create failed (${code}): ${output}`);
  const login = await request(stack.routerUrl, 'logIn', 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken } }', { email: person.email, password: person.password }, {}, 30_000);
  if (!ok(login)) throw new Error(`logIn failed: ${JSON.stringify(login)}`);
  return { ...person, headers: { authorization: `Bearer ${login.data!.logIn.accessToken}` } };
}

/** Runs one query on a service's own database (as an operator would look). */
export async function queryDatabase<T extends Record<string, unknown>>(stack: ProcessStack, service: Exclude<ServiceName, 'router'>, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new PgClient({ connectionString: stack.env[`${service.toUpperCase()}_DATABASE_URL`] });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
