import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { startTracing, type Tracing } from '@dorandoran/service-kit';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { post } from '@dorandoran/test-support/graphql';
import { canRunRedisServer, startRedisServer } from '@dorandoran/test-support/redisServer';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { SIGN_UP, signUp, type SignedIn } from '@dorandoran/test-support/users';
import { eventually, within } from '@dorandoran/test-support/ws';

/**
 * Metrics, health and readiness, request ids and traces across the real supergraph
 * (packages/service-kit/src/{metrics,http,tracing}.ts, gateway/src/metrics.ts).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const REDIS = Boolean(process.env.REDIS_URL);

// ---------------------------------------------------------------------------------------------
// An OTLP/HTTP collector: POST /v1/traces with the JSON encoding (the exporter sends hex ids).

interface CollectedSpan {
  scope: string;
  service: string | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
}

/** OTLP's SpanKind numbering (the API's plus one). */
const OTLP_KIND = { internal: 1, server: 2, client: 3 } as const;

/** The spans strictly between `from` and its ancestor `to`, nearest first; fails when `to` is not an ancestor. */
function pathUp(from: CollectedSpan, to: CollectedSpan, spans: CollectedSpan[]): CollectedSpan[] {
  const between: CollectedSpan[] = [];
  let current = from;
  while (current.parentSpanId !== to.spanId) {
    const parent = spans.find((span) => span.spanId === current.parentSpanId);
    if (!parent) throw new Error(`${to.name} (${to.spanId}) is not an ancestor of ${from.name} (${from.spanId})`);
    between.push(parent);
    current = parent;
  }
  return between;
}

interface Collector {
  url: string;
  spans: CollectedSpan[];
  /** Bodies that were not OTLP JSON: a non-empty list fails the test. */
  rejected: string[];
  close(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const spans: CollectedSpan[] = [];
  const rejected: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        if (req.method !== 'POST' || req.url !== '/v1/traces') throw new Error(`${req.method} ${req.url}`);
        if (!String(req.headers['content-type']).includes('application/json')) throw new Error(`content-type ${req.headers['content-type']}`);
        const raw = Buffer.concat(chunks);
        const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue;
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
              spans.push({
                scope: scopeSpans.scope?.name,
                service,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId || undefined,
                name: span.name,
                kind: span.kind,
              });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } catch (error) {
        rejected.push(String(error));
        res.writeHead(400);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    rejected,
    close: () => closeHttp(server),
  };
}

async function closeHttp(server: Server) {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

// ---------------------------------------------------------------------------------------------
// Prometheus text format.

const base = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '');

async function scrape(graphqlUrl: string): Promise<string> {
  const response = await fetch(`${base(graphqlUrl)}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function samples(text: string): Sample[] {
  const found: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    found.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return found;
}

/** The value of the one sample of `name` whose labels include `labels`; 0 when there is none. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const matching = samples(text).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value ?? 0;
}

const metricValue = async (graphqlUrl: string, name: string, labels: Record<string, string> = {}) => value(await scrape(graphqlUrl), name, labels);

// ---------------------------------------------------------------------------------------------

/**
 * A TCP pass-through to a Redis that a test can cut (connections dropped, port closed: Redis is
 * down) and open again on the same port.
 */
async function startRedisProxy(target: string) {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  let server: NetServer | undefined;
  let port = 0;
  const open = async () => {
    server = createNetServer((client) => {
      const upstream = connect(Number(targetPort || 6379), hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const cut = async () => {
    const closed = new Promise((resolve) => server?.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  await open();
  return { url: `redis://127.0.0.1:${port}`, open, cut };
}

let collector: Collector;
let tracing: Tracing;
/** A redis-server of this file's own when REDIS_URL is not set (and the machine has one). */
let ownRedis: Awaited<ReturnType<typeof startRedisServer>> | undefined;

let stack: Stack;
let user: SignedIn;
const closeAfterStack: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  collector = await startCollector();
  if (!REDIS && canRunRedisServer) ownRedis = await startRedisServer();
  // Before the stack: every service in this process traces through it.
  tracing = startTracing({ serviceName: 'test', endpoint: collector.url })!;
  stack = await startStack();
  user = await signUp(stack);
});
afterAll(async () => {
  await stack?.close();
  for (const close of closeAfterStack) await close();
  await tracing?.shutdown();
  await collector?.close();
  await ownRedis?.stop();
});

const WHO_AM_I = 'query WhoAmI { me { id } }';

describe('metrics', () => {
  const ROUTER_SERIES: [string, string][] = [
    ['graphql_request_duration_seconds', 'histogram'],
    ['graphql_errors_total', 'counter'],
    ['subgraph_fetch_duration_seconds', 'histogram'],
    ['subgraph_fetch_errors_total', 'counter'],
    ['subgraph_circuit_state', 'gauge'],
    ['websocket_connections_active', 'gauge'],
    ['subscriptions_active', 'gauge'],
    ['rate_limited_total', 'counter'],
    ['operation_limit_rejected_total', 'counter'],
    // Node's process metrics.
    ['process_cpu_user_seconds_total', 'counter'],
    ['process_resident_memory_bytes', 'gauge'],
    ['nodejs_eventloop_lag_seconds', 'gauge'],
  ];

  test('GET /metrics on the router describes every router series (HELP and TYPE)', async () => {
    const text = await scrape(stack.routerUrl);
    for (const [name, type] of ROUTER_SERIES) {
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(text).toContain(`\n# TYPE ${name} ${type}\n`);
    }
    // Every subgraph of the supergraph has its breaker, closed; every sample is the router's.
    for (const subgraph of ['auth', 'users', 'chat', 'store', 'batch']) {
      expect(samples(text).filter((s) => s.name === 'subgraph_circuit_state' && s.labels.subgraph === subgraph)).toEqual([
        { name: 'subgraph_circuit_state', labels: { subgraph, service: 'router' }, value: 0 },
      ]);
    }
    expect(samples(text).every((s) => s.labels.service === 'router')).toBe(true);
  });

  test('a named query is timed by service, operation name and type on the router, and its fetch to users', async () => {
    const labels = { service: 'router', operation_name: 'WhoAmI', operation_type: 'query' };
    const before = await scrape(stack.routerUrl);
    const response = await post(stack.routerUrl, WHO_AM_I, {}, user.headers);
    expect(response.data).toEqual({ me: { id: user.id } });

    const after = await scrape(stack.routerUrl);
    expect(value(after, 'graphql_request_duration_seconds_count', labels)).toBe(value(before, 'graphql_request_duration_seconds_count', labels) + 1);
    expect(value(after, 'graphql_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
    const inf = { ...labels, le: '+Inf' };
    expect(value(after, 'graphql_request_duration_seconds_bucket', inf)).toBe(value(after, 'graphql_request_duration_seconds_count', labels));
    const usersFetches = { subgraph: 'users', service: 'router' };
    expect(value(after, 'subgraph_fetch_duration_seconds_count', usersFetches)).toBe(value(before, 'subgraph_fetch_duration_seconds_count', usersFetches) + 1);
  });

  test('a subgraph serves its own series at /metrics, labelled with its name', async () => {
    const before = await scrape(stack.usersUrl);
    await post(stack.routerUrl, WHO_AM_I, {}, user.headers);
    const after = await scrape(stack.usersUrl);

    expect(after).toContain('\n# TYPE graphql_request_duration_seconds histogram\n');
    expect(after).toContain('\n# TYPE graphql_errors_total counter\n');
    const count = (text: string) =>
      samples(text)
        .filter((s) => s.name === 'graphql_request_duration_seconds_count' && s.labels.service === 'users' && s.labels.operation_type === 'query')
        .reduce((sum, s) => sum + s.value, 0);
    expect(count(after)).toBe(count(before) + 1);
    // The router names its fetch after the client's operation.
    expect(samples(after).some((s) => s.name === 'graphql_request_duration_seconds_count' && s.labels.operation_name.startsWith('WhoAmI'))).toBe(true);
    // Only users' own series: no router ones, no other service's label.
    expect(after).not.toContain('subgraph_circuit_state');
    expect(after).not.toContain('websocket_connections_active');
    expect(samples(after).every((s) => s.labels.service === 'users')).toBe(true);
  });

  test('graphql_errors_total counts errors by code, on the router and on the subgraph that raised them', async () => {
    const routerBefore = await scrape(stack.routerUrl);
    const authBefore = await scrape(stack.authUrl);

    const badInput = await post(stack.routerUrl, SIGN_UP, { input: { email: 'not-an-email', password: 'good-pass-1', nickname: 'Neo' } });
    expect(badInput.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    const anonymous = await post(stack.routerUrl, WHO_AM_I);
    const anonymousCode = anonymous.errors![0].extensions!.code as string;
    expect(['UNAUTHENTICATED', 'UNAUTHORIZED_FIELD_OR_TYPE']).toContain(anonymousCode);

    const routerAfter = await scrape(stack.routerUrl);
    const bad = { service: 'router', code: 'BAD_USER_INPUT' };
    expect(value(routerAfter, 'graphql_errors_total', bad)).toBe(value(routerBefore, 'graphql_errors_total', bad) + 1);
    const unauth = { service: 'router', code: anonymousCode };
    expect(value(routerAfter, 'graphql_errors_total', unauth)).toBe(value(routerBefore, 'graphql_errors_total', unauth) + 1);
    const authBad = { service: 'auth', code: 'BAD_USER_INPUT' };
    expect(value(await scrape(stack.authUrl), 'graphql_errors_total', authBad)).toBe(value(authBefore, 'graphql_errors_total', authBad) + 1);
  });

  test('operation_limit_rejected_total counts an operation refused by a limit', async () => {
    const labels = { service: 'router', limit: 'aliases' };
    const before = await metricValue(stack.routerUrl, 'operation_limit_rejected_total', labels);
    // MAX_ALIASES is 15; aliases of __typename are not counted.
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: id`).join(' ');
    const response = await post(stack.routerUrl, `{ me { ${aliases} } }`, {}, user.headers);
    expect(response.status).toBe(400);
    expect(response.errors![0].extensions!.code).toBe('MAX_ALIASES_EXCEEDED');
    expect(await metricValue(stack.routerUrl, 'operation_limit_rejected_total', labels)).toBe(before + 1);
  });

  test('websocket_connections_active is 1 while a graphql-ws client is connected, 0 after', async () => {
    const gauge = () => metricValue(stack.routerUrl, 'websocket_connections_active', { service: 'router' });
    expect(await gauge()).toBe(0);
    const client = createClient({ url: stack.routerUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
    try {
      await within(new Promise<void>((resolve, reject) => {
        client.on('connected', () => resolve());
        client.on('closed', (event) => reject(new Error(`closed: ${JSON.stringify(event)}`)));
      }));
      expect(await gauge()).toBe(1);
      expect(await metricValue(stack.routerUrl, 'subscriptions_active', { service: 'router' })).toBe(0);
    } finally {
      await client.dispose();
    }
    await eventually(async () => (await gauge()) === 0, 'websocket_connections_active back to 0');
  });
});

describe('health and readiness', () => {
  const get = async (graphqlUrl: string, path: string) => {
    const response = await fetch(`${base(graphqlUrl)}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  test('the router is live, and ready with its supergraph loaded (and Redis when it uses it)', async () => {
    expect(await get(stack.routerUrl, '/health')).toMatchObject({ status: 200, body: { status: 'ok', service: 'router' } });
    expect(await get(stack.routerUrl, '/ready')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { supergraph: 'ok', ...(REDIS ? { redis: 'ok' } : {}) } },
    });
  });

  test('a subgraph is live, and ready with its database (and Redis when it uses it)', async () => {
    expect(await get(stack.usersUrl, '/health')).toMatchObject({ status: 200, body: { status: 'ok', service: 'users' } });
    expect(await get(stack.usersUrl, '/ready')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', ...(REDIS ? { redis: 'ok' } : {}) } },
    });
  });

  test('a router whose Redis is down is live but not ready: 503 naming redis; ready again once Redis is back', async () => {
    const redisUrl = process.env.REDIS_URL ?? ownRedis?.url;
    // Without any Redis, a port where nothing listens stands for one that is down.
    const proxy = redisUrl ? await startRedisProxy(redisUrl) : undefined;
    try {
      const router = await stack.startRouter({ REDIS_URL: proxy?.url ?? 'redis://127.0.0.1:1' });
      if (proxy) {
        await eventually(async () => (await get(router.url, '/ready')).status === 200, 'ready with Redis');
        expect(await get(router.url, '/ready')).toEqual({ status: 200, body: { status: 'ready', checks: { supergraph: 'ok', redis: 'ok' } } });
        await proxy.cut();
      }
      expect((await get(router.url, '/health')).status).toBe(200);
      const started = Date.now();
      const ready = await get(router.url, '/ready');
      // Each check has 2 s at most.
      expect(Date.now() - started).toBeLessThan(3000);
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'not ready', checks: { supergraph: 'ok', redis: expect.stringMatching(/^failing: \S/) } });
      // The router still answers without it (its budgets fall back to memory).
      expect((await post(router.url, WHO_AM_I, {}, user.headers)).data).toEqual({ me: { id: user.id } });

      if (proxy) {
        await proxy.open();
        await eventually(async () => (await get(router.url, '/ready')).status === 200, 'ready once Redis is back', 10000);
        expect((await get(router.url, '/ready')).body).toEqual({ status: 'ready', checks: { supergraph: 'ok', redis: 'ok' } });
      }
    } finally {
      // The router (closed with the stack) says QUIT through the proxy; it stays open until then.
      closeAfterStack.push(async () => proxy?.cut());
    }
  });
});

describe('request ids', () => {
  test('a well-formed x-request-id comes back; without one, the response carries a new UUID', async () => {
    const given = await post(stack.routerUrl, WHO_AM_I, {}, { ...user.headers, 'x-request-id': 'test-req-123' });
    expect(given.headers.get('x-request-id')).toBe('test-req-123');

    const first = await post(stack.routerUrl, WHO_AM_I, {}, user.headers);
    const second = await post(stack.routerUrl, WHO_AM_I, {}, user.headers);
    expect(first.headers.get('x-request-id')).toMatch(UUID);
    expect(second.headers.get('x-request-id')).toMatch(UUID);
    expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
  });

  test('a malformed x-request-id is replaced, not echoed', async () => {
    for (const bad of ['has spaces in it', 'x'.repeat(101), '<script>']) {
      const response = await post(stack.routerUrl, WHO_AM_I, {}, { ...user.headers, 'x-request-id': bad });
      expect(response.headers.get('x-request-id')).toMatch(UUID);
    }
  });

  test('every response has one, errors and other routes included, on the router and on a subgraph', async () => {
    const notFound = await fetch(`${base(stack.routerUrl)}/nowhere`, { headers: { 'x-request-id': 'req-404' } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-request-id')).toBe('req-404');
    const health = await fetch(`${base(stack.usersUrl)}/health`);
    expect(health.headers.get('x-request-id')).toMatch(UUID);
    // Refused by the subgraph (no router secret), still with the caller's id.
    const refused = await post(stack.usersUrl, WHO_AM_I, {}, { 'x-request-id': 'req-direct' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-request-id')).toBe('req-direct');
  });

  test('the router forwards the request id (and the trace context) to the subgraph it calls', async () => {
    // A pass-through in front of users that notes what the router sent.
    const seen: IncomingHttpHeaders[] = [];
    const target = new URL(stack.usersUrl);
    const proxy = createServer((req, res) => {
      seen.push(req.headers);
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const router = await stack.startRouter({ USERS_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql` });
      const response = await post(router.url, WHO_AM_I, {}, { ...user.headers, 'x-request-id': 'test-req-fwd' });
      expect(response.data).toEqual({ me: { id: user.id } });
      expect(seen).toHaveLength(1);
      expect(seen[0]['x-request-id']).toBe('test-req-fwd');
      expect(seen[0].traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    } finally {
      await closeHttp(proxy);
    }
  });
});

describe('tracing', () => {
  test('router SERVER span continues the caller\'s traceparent; CLIENT span "subgraph users"; users SERVER span under it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const response = await post(stack.routerUrl, '{ me { id nickname } }', {}, { ...user.headers, traceparent: `00-${traceId}-${callerSpanId}-01` });
    expect(response.data).toEqual({ me: { id: user.id, nickname: user.nickname } });

    const ofTrace = () => collector.spans.filter((span) => span.traceId === traceId);
    await eventually(async () => {
      await tracing.flush();
      return ofTrace().some((span) => span.scope === 'router' && span.kind === OTLP_KIND.server);
    }, 'the router span at the collector');
    expect(collector.rejected).toEqual([]);

    const spans = ofTrace();
    const routerServer = spans.filter((span) => span.scope === 'router' && span.kind === OTLP_KIND.server);
    expect(routerServer).toHaveLength(1);
    expect(routerServer[0]).toMatchObject({ name: 'POST /graphql', parentSpanId: callerSpanId, service: 'test' });
    expect(routerServer[0].spanId).toMatch(/^[0-9a-f]{16}$/);

    const client = spans.filter((span) => span.scope === 'router' && span.kind === OTLP_KIND.client);
    expect(client).toEqual([expect.objectContaining({ name: 'subgraph users' })]);
    // Apollo Gateway's own spans (gateway.request › gateway.execute › gateway.fetch) sit between the two.
    const between = pathUp(client[0], routerServer[0], spans);
    expect(between.map((span) => span.name)).toEqual(['gateway.fetch', 'gateway.execute', 'gateway.request']);
    expect(between.every((span) => span.kind === OTLP_KIND.internal)).toBe(true);

    const usersServer = spans.filter((span) => span.scope === 'users');
    expect(usersServer).toEqual([expect.objectContaining({ name: 'POST /graphql', kind: OTLP_KIND.server, parentSpanId: client[0].spanId })]);

    // No other service took part: the only SERVER and CLIENT spans of the trace are these three.
    expect(spans.filter((span) => span.kind !== OTLP_KIND.internal)).toHaveLength(3);
    // Every span but the router's SERVER one hangs off a span of this trace.
    const ids = new Set(spans.map((span) => span.spanId));
    expect(spans.filter((span) => !ids.has(span.parentSpanId!))).toEqual([routerServer[0]]);
  });

  test('without a traceparent the router starts a new trace, and the subgraph still joins it', async () => {
    const before = new Set(collector.spans.map((span) => span.spanId));
    await post(stack.routerUrl, WHO_AM_I, {}, user.headers);
    let root: CollectedSpan | undefined;
    await eventually(async () => {
      await tracing.flush();
      root = collector.spans.find((span) => !before.has(span.spanId) && span.scope === 'router' && span.kind === OTLP_KIND.server && !span.parentSpanId);
      return Boolean(root && collector.spans.some((span) => span.traceId === root!.traceId && span.scope === 'users'));
    }, 'a new trace from router to users');
    const trace = collector.spans.filter((span) => span.traceId === root!.traceId);
    const client = trace.find((span) => span.name === 'subgraph users')!;
    expect(client.kind).toBe(OTLP_KIND.client);
    expect(pathUp(client, root!, trace).map((span) => span.name)).toEqual(['gateway.fetch', 'gateway.execute', 'gateway.request']);
    expect(trace.find((span) => span.scope === 'users')!.parentSpanId).toBe(client.spanId);
  });
});
