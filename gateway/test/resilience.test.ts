import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from '@dorandoran/test-support/ws';
import { startTestRouter, type TestSubgraph } from './helpers/router';

/**
 * The router's per-subgraph timeout and circuit breaker (gateway/src/resilience/subgraphFetcher.ts),
 * seen from a client and from /metrics: a subgraph that is down or hangs costs its own fields only.
 */

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';

const PRODUCTS = [
  { id: 'p1', name: 'Kimchi' },
  { id: 'p2', name: 'Tteok' },
];

const QUERY = '{ products { id name reviews { body } } }';
const FULL = {
  products: [
    { id: 'p1', name: 'Kimchi', reviews: [{ body: 'p1 is great' }] },
    { id: 'p2', name: 'Tteok', reviews: [{ body: 'p2 is great' }] },
  ],
};
const PARTIAL = { products: PRODUCTS.map((p) => ({ ...p, reviews: null })) };

/** Owns Query.products and the Product entity. */
function productsSubgraph(name: string, delay: () => number = () => 0): TestSubgraph {
  return {
    name,
    typeDefs: `${FEDERATION}
type Query { products: [Product!]! }
type Product @key(fields: "id") { id: ID! name: String! }`,
    resolvers: {
      Query: {
        products: async () => {
          const ms = delay();
          if (ms > 0) await sleep(ms);
          return PRODUCTS;
        },
      },
      Product: { __resolveReference: ({ id }: { id: string }) => PRODUCTS.find((p) => p.id === id) },
    },
  };
}

/** Adds Product.reviews through an entity fetch; `hang` keeps its answers waiting until released. */
function reviewsSubgraph(name: string, hang?: { on: boolean; waiting: (() => void)[] }): TestSubgraph {
  return {
    name,
    typeDefs: `${FEDERATION}
type Product @key(fields: "id") { id: ID! reviews: [Review!] }
type Review { body: String! }`,
    resolvers: {
      Product: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        reviews: async ({ id }: { id: string }) => {
          if (hang?.on) await new Promise<void>((resolve) => hang.waiting.push(resolve));
          return [{ body: `${id} is great` }];
        },
      },
    },
  };
}

type TestRouter = Awaited<ReturnType<typeof startTestRouter>>;
type ResponseError = { message: string; extensions?: Record<string, unknown> };

/** Prometheus text → the value of the sample of `name` whose labels include `labels` (undefined if none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]] = pair[2];
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function metrics(router: TestRouter): Promise<string> {
  const response = await fetch(router.url.replace(/\/graphql$/, '/metrics'));
  expect(response.status).toBe(200);
  return response.text();
}

const circuitState = async (router: TestRouter, subgraph: string) => sample(await metrics(router), 'subgraph_circuit_state', { subgraph });
const fetchErrors = async (router: TestRouter, subgraph: string, reason: string) =>
  sample(await metrics(router), 'subgraph_fetch_errors_total', { subgraph, reason }) ?? 0;

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

/** Polls every 150 ms until `condition` holds; returns how long it took, or fails after `timeoutMs`. */
async function pollUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(150);
  }
  return Date.now() - started;
}

/** The one error of a partial answer, asserted to be SERVICE_UNAVAILABLE naming `subgraph`. */
function unavailableError(response: { errors?: unknown[] }, subgraph: string): ResponseError {
  expect(response.errors).toHaveLength(1);
  const error = response.errors![0] as ResponseError;
  expect(error.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', subgraph });
  expect(error.message).toContain(subgraph);
  // The client is not told where the subgraph lives.
  expect(error.message).not.toMatch(/127\.0\.0\.1|localhost|ECONNREFUSED/);
  return error;
}

/**
 * A Redis that accepts connections, completes the handshake (CLIENT, INFO) and then answers
 * nothing: a Redis that hangs (overloaded, paused, a half-dead network path) rather than refusing.
 * `release()` drops its connections, as a Redis that finally went away would.
 */
async function startStalledRedis() {
  const sockets = new Set<Socket>();
  let handshakes = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      for (const command of data.toString('latin1').split(/(?=\*\d+\r\n)/)) {
        const name = command.split('\r\n')[2]?.toLowerCase();
        if (name === 'client') socket.write('+OK\r\n');
        else if (name === 'info') {
          socket.write('$21\r\n# Server\r\nloading:0\r\n\r\n');
          handshakes++;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Resolves once a client finished the handshake: it then sends its commands here. */
    async connected() {
      await pollUntil(async () => handshakes > 0, 'a client connected to the stalled Redis');
      await sleep(200);
    },
    async release() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

// First in the file: ioredis leaves a 2 s timer behind when it is closed after losing its connection.
describe('a Redis that accepts connections but does not answer', () => {
  let redis: Awaited<ReturnType<typeof startStalledRedis>>;
  let router: TestRouter;
  let disposed: Promise<void> | undefined;
  beforeEach(async () => {
    redis = await startStalledRedis();
    router = await startTestRouter([productsSubgraph('products')], { env: { REDIS_URL: redis.url } });
    disposed = undefined;
    await redis.connected();
  });
  afterEach(async () => {
    await redis.release();
    await (disposed ?? router.dispose());
  });

  // Every request spends from the rate-limit budgets in Redis; while Redis cannot be reached the
  // budgets are counted in memory (protection/rateLimits.ts), which must hold for a Redis that
  // does not answer, too.
  test('queries are still answered, within a few seconds', async () => {
    const response = await within(router.execute('{ products { id name } }'), 3000);
    expect(response).toEqual({ status: 200, data: { products: PRODUCTS } });
  });

  test('the router still closes, within a few seconds', async () => {
    disposed = router.dispose();
    await within(disposed, 5000);
  });
});

describe('a subgraph that is down', () => {
  let router: TestRouter;
  beforeEach(async () => {
    router = await startTestRouter([productsSubgraph('products'), reviewsSubgraph('reviews')], {
      env: { BREAKER_RESET_MS: '1000', BREAKER_MIN_REQUESTS: '5', BREAKER_ERROR_PERCENT: '50' },
    });
  });
  afterEach(() => router.dispose());

  test('the query answers 200 with the other subgraph\'s data, reviews null and SERVICE_UNAVAILABLE naming reviews', async () => {
    expect(await router.execute(QUERY)).toEqual({ status: 200, data: FULL });
    expect(await circuitState(router, 'reviews')).toBe(0);

    await router.stopSubgraph(1);
    const response = await router.execute(QUERY);
    expect(response.status).toBe(200);
    expect(response.data).toEqual(PARTIAL);
    expect(unavailableError(response, 'reviews').message).toMatch(/reviews service is not reachable/);

    const text = await metrics(router);
    expect(sample(text, 'subgraph_fetch_errors_total', { subgraph: 'reviews', reason: 'unreachable' })).toBe(1);
    expect(sample(text, 'subgraph_fetch_errors_total', { subgraph: 'products' })).toBeUndefined();
    expect(sample(text, 'graphql_errors_total', { service: 'router', code: 'SERVICE_UNAVAILABLE' })).toBe(1);
    // One failure out of two fetches in the window is under the volume threshold: still closed.
    expect(sample(text, 'subgraph_circuit_state', { subgraph: 'reviews' })).toBe(0);
  });

  test('when the subgraph owning the root field is down, nothing can be answered: 503 SERVICE_UNAVAILABLE', async () => {
    await router.stopSubgraph(0);
    const response = await router.execute(QUERY);
    expect(response.status).toBe(503);
    expect(response.data ?? null).toBeNull();
    expect(unavailableError(response, 'products').message).toMatch(/products service is not reachable/);
  });

  test('BREAKER_MIN_REQUESTS failed fetches open the breaker: then errors come at once, and /metrics shows it open', async () => {
    await router.stopSubgraph(1);
    for (let attempt = 1; attempt <= 5; attempt++) {
      // Until then every query really tries the subgraph.
      expect(await circuitState(router, 'reviews')).toBe(0);
      const response = await router.execute(QUERY);
      expect(response).toMatchObject({ status: 200, data: PARTIAL });
      expect(unavailableError(response, 'reviews').message).toMatch(/not reachable/);
    }
    expect(await circuitState(router, 'reviews')).toBe(2);
    expect(await fetchErrors(router, 'reviews', 'unreachable')).toBe(5);

    const rejected = await router.execute(QUERY);
    expect(rejected).toMatchObject({ status: 200, data: PARTIAL });
    expect(unavailableError(rejected, 'reviews').message).toMatch(/reviews service is unavailable: it failed repeatedly/);

    const text = await metrics(router);
    expect(sample(text, 'subgraph_fetch_errors_total', { subgraph: 'reviews', reason: 'circuit_open' })).toBe(1);
    // The open breaker did not try the subgraph.
    expect(sample(text, 'subgraph_fetch_errors_total', { subgraph: 'reviews', reason: 'unreachable' })).toBe(5);
    expect(sample(text, 'subgraph_circuit_state', { subgraph: 'reviews' })).toBe(2);
    expect(sample(text, 'subgraph_circuit_state', { subgraph: 'products' })).toBe(0);
    expect(sample(text, 'graphql_errors_total', { service: 'router', code: 'SERVICE_UNAVAILABLE' })).toBe(6);
  });

  test('after BREAKER_RESET_MS the breaker is half-open; a probe that fails opens it again', async () => {
    await router.stopSubgraph(1);
    for (let attempt = 0; attempt < 5; attempt++) await router.execute(QUERY);
    expect(await circuitState(router, 'reviews')).toBe(2);

    await pollUntil(async () => (await circuitState(router, 'reviews')) === 1, 'half-open after BREAKER_RESET_MS');
    const probe = await router.execute(QUERY);
    expect(probe.data).toEqual(PARTIAL);
    // The probe really went to the subgraph…
    expect(unavailableError(probe, 'reviews').message).toMatch(/not reachable/);
    expect(await fetchErrors(router, 'reviews', 'unreachable')).toBe(6);
    // …and its failure opened the breaker again at once.
    expect(await circuitState(router, 'reviews')).toBe(2);
    const next = await router.execute(QUERY);
    expect(unavailableError(next, 'reviews').message).toMatch(/failed repeatedly/);
    expect(await fetchErrors(router, 'reviews', 'circuit_open')).toBe(1);
  });

  test('a restarted subgraph is used again within 5 s: the probe closes the breaker', async () => {
    await router.stopSubgraph(1);
    for (let attempt = 0; attempt < 6; attempt++) await router.execute(QUERY);
    expect(await circuitState(router, 'reviews')).toBe(2);

    await router.restartSubgraph(1);
    const elapsed = await pollUntil(async () => {
      const response = await router.execute(QUERY);
      return response.status === 200 && response.errors === undefined;
    }, 'the full answer after the restart');
    expect(elapsed).toBeLessThan(5000);
    expect(await router.execute(QUERY)).toEqual({ status: 200, data: FULL });
    expect(await circuitState(router, 'reviews')).toBe(0);
  });

  test('a failure rate under BREAKER_ERROR_PERCENT keeps the breaker closed; over it, it opens', async () => {
    for (let attempt = 0; attempt < 5; attempt++) expect(await router.execute(QUERY)).toEqual({ status: 200, data: FULL });
    await router.stopSubgraph(1);
    // 4 unanswered of 9 fetches: under half.
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await router.execute(QUERY);
      expect(unavailableError(response, 'reviews').message).toMatch(/not reachable/);
    }
    expect(await circuitState(router, 'reviews')).toBe(0);
    // 6 of 11: over half.
    await router.execute(QUERY);
    await router.execute(QUERY);
    expect(await circuitState(router, 'reviews')).toBe(2);
  });
});

describe('BREAKER_ERROR_PERCENT=100', () => {
  let router: TestRouter;
  beforeEach(async () => {
    router = await startTestRouter([productsSubgraph('products'), reviewsSubgraph('reviews')], {
      env: { BREAKER_ERROR_PERCENT: '100', BREAKER_MIN_REQUESTS: '3' },
    });
  });
  afterEach(() => router.dispose());

  // The configuration accepts 100 (max 100) and documents it as "the share of fetches that got no
  // answer that opens the breaker": with 100, the breaker opens when every fetch failed.
  test('the breaker opens once BREAKER_MIN_REQUESTS fetches all failed', async () => {
    await router.stopSubgraph(1);
    for (let attempt = 0; attempt < 3; attempt++) await router.execute(QUERY);
    expect(await fetchErrors(router, 'reviews', 'unreachable')).toBe(3);
    expect(await circuitState(router, 'reviews')).toBe(2);
    const response = await router.execute(QUERY);
    expect(unavailableError(response, 'reviews').message).toMatch(/failed repeatedly/);
  });
});

describe('a subgraph that does not answer in time', () => {
  const hang = { on: false, waiting: [] as (() => void)[] };
  let slowStoreMs = 0;
  let router: TestRouter;
  const release = () => {
    hang.on = false;
    for (const resolve of hang.waiting.splice(0)) resolve();
  };
  const ALL = '{ products { id name reviews { body } } }';

  beforeEach(async () => {
    slowStoreMs = 0;
    // CHAT_SUBGRAPH_TIMEOUT_MS is read for the known subgraph names only, hence store and chat.
    router = await startTestRouter([productsSubgraph('store', () => slowStoreMs), reviewsSubgraph('chat', hang)], {
      // Five identical queries at once must be five fetches for the breaker to count: deduplication would make them one.
      env: { CHAT_SUBGRAPH_TIMEOUT_MS: '300', SUBGRAPH_TIMEOUT_MS: '5000', BREAKER_RESET_MS: '1000', BREAKER_MIN_REQUESTS: '5', DEDUPLICATE_QUERIES: 'false' },
    });
  });
  afterEach(async () => {
    release();
    await router.dispose();
  });

  test('past <NAME>_SUBGRAPH_TIMEOUT_MS the fetch is given up: SERVICE_UNAVAILABLE "did not answer within", reason timeout', async () => {
    expect(await router.execute(ALL)).toEqual({ status: 200, data: { products: FULL.products } });

    hang.on = true;
    const { result: response, ms } = await timed(() => router.execute(ALL));
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(2000);
    expect(response.status).toBe(200);
    expect(response.data).toEqual(PARTIAL);
    expect(unavailableError(response, 'chat').message).toMatch(/chat service did not answer within 300 ms/);

    const text = await metrics(router);
    expect(sample(text, 'subgraph_fetch_errors_total', { subgraph: 'chat', reason: 'timeout' })).toBe(1);
    expect(sample(text, 'subgraph_fetch_errors_total', { subgraph: 'chat', reason: 'unreachable' })).toBeUndefined();
    // The slow fetch is in the fetch histogram too.
    expect(sample(text, 'subgraph_fetch_duration_seconds_count', { subgraph: 'chat' })).toBe(2);
    expect(sample(text, 'subgraph_fetch_duration_seconds_count', { subgraph: 'store' })).toBe(2);
  });

  test('another subgraph keeps SUBGRAPH_TIMEOUT_MS: a 600 ms answer from store is waited for', async () => {
    slowStoreMs = 600;
    const { result, ms } = await timed(() => router.execute(ALL));
    expect(ms).toBeGreaterThanOrEqual(590);
    expect(result).toEqual({ status: 200, data: { products: FULL.products } });
    expect(await fetchErrors(router, 'store', 'timeout')).toBe(0);
  });

  test('hanging fetches open the breaker; then the answer comes well before the timeout, and the subgraph is used again once it answers', async () => {
    hang.on = true;
    // Five at once: they all time out together.
    const first = await Promise.all(Array.from({ length: 5 }, () => router.execute(ALL)));
    for (const response of first) {
      expect(response.data).toEqual(PARTIAL);
      expect(unavailableError(response, 'chat').message).toMatch(/did not answer within 300 ms/);
    }
    expect(await fetchErrors(router, 'chat', 'timeout')).toBe(5);
    expect(await circuitState(router, 'chat')).toBe(2);

    // Answered by the open breaker, not after another timeout: the timeout count below stays 5.
    const fast = await router.execute(ALL);
    expect(fast.data).toEqual(PARTIAL);
    expect(unavailableError(fast, 'chat').message).toMatch(/failed repeatedly/);
    expect(await fetchErrors(router, 'chat', 'circuit_open')).toBe(1);
    expect(await fetchErrors(router, 'chat', 'timeout')).toBe(5);

    release();
    const elapsed = await pollUntil(async () => (await router.execute(ALL)).errors === undefined, 'the full answer once chat answers again');
    expect(elapsed).toBeLessThan(5000);
    expect(await circuitState(router, 'chat')).toBe(0);
  });
});
