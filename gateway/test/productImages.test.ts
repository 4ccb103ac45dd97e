import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestRouter } from './helpers/router';

/** A subgraph named store, for the supergraph; its images are answered by the stand-in below (STORE_URL). */
const STORE = {
  name: 'store',
  typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { productCount: Int }`,
  resolvers: { Query: { productCount: () => 0 } },
};

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const TIMEOUT_MS = 400;

/** What the store's image route does (subgraphs/store/src/productImages.ts), and what it was asked. */
function startImageStandIn() {
  const asked: { method: string; url: string; secret: string | undefined }[] = [];
  let delayMs = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    asked.push({ method: req.method!, url: req.url!, secret: req.headers['x-router-secret'] as string | undefined });
    void sleep(delayMs).then(() => {
      const url = new URL(req.url!, 'http://localhost');
      if (url.pathname === '/product-images' && url.searchParams.get('v') === '0123456789abcdef') {
        res.writeHead(200, {
          'content-type': 'image/png',
          'cache-control': 'public, max-age=31536000, immutable',
          etag: '"0123456789abcdef"',
          'x-content-type-options': 'nosniff',
          'set-cookie': 'leak=1',
        });
        res.end(PNG);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end('No such image.\n');
    });
  });
  return {
    asked,
    setDelay: (ms: number) => (delayMs = ms),
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('GET /product-images on the router: forwarded to the store, whose port is not published', () => {
  const standIn = startImageStandIn();
  let router: Awaited<ReturnType<typeof startTestRouter>>;
  let origin: string;
  beforeAll(async () => {
    const port = await standIn.listen();
    router = await startTestRouter([STORE], { env: { STORE_URL: `http://127.0.0.1:${port}/graphql`, STORE_SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS) } });
    origin = new URL(router.url).origin;
  });
  afterEach(() => standIn.setDelay(0));
  afterAll(async () => {
    await router?.dispose();
    await standIn.close();
  });

  test('an image comes back with its bytes and the caching and nosniff headers; only id and v reach the store, no secret', async () => {
    const response = await fetch(`${origin}/product-images?id=01a24613-0000-7000-8000-000000000000&v=0123456789abcdef&x=${'y'.repeat(10)}`);
    expect(response.status).toBe(200);
    expect(Object.fromEntries(['content-type', 'cache-control', 'etag', 'x-content-type-options', 'set-cookie'].map((name) => [name, response.headers.get(name)]))).toEqual({
      'content-type': 'image/png',
      'cache-control': 'public, max-age=31536000, immutable',
      etag: '"0123456789abcdef"',
      'x-content-type-options': 'nosniff',
      'set-cookie': null,
    });
    expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).toBe(true);
    expect(standIn.asked.at(-1)).toEqual({ method: 'GET', url: '/product-images?id=01a24613-0000-7000-8000-000000000000&v=0123456789abcdef', secret: undefined });
  });

  test('an image the store does not have (an old v) is its 404, not the web app', async () => {
    const response = await fetch(`${origin}/product-images?id=01a24613-0000-7000-8000-000000000000&v=ffffffffffffffff`);
    expect([response.status, response.headers.get('x-content-type-options'), await response.text()]).toEqual([404, 'nosniff', 'No such image.\n']);
  });

  test(`a store slower than its timeout (${TIMEOUT_MS} ms) → 503 SERVICE_UNAVAILABLE with Retry-After, within the timeout and a margin`, async () => {
    standIn.setDelay(TIMEOUT_MS * 3);
    const started = performance.now();
    const response = await fetch(`${origin}/product-images?id=01a24613-0000-7000-8000-000000000000&v=0123456789abcdef`);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
    expect([response.status, response.headers.get('retry-after')]).toEqual([503, '5']);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' }, message: expect.stringMatching(/did not answer within 400 ms/) }] });
  });

  test('only GET is forwarded: a POST never reaches the store', async () => {
    const before = standIn.asked.length;
    const response = await fetch(`${origin}/product-images?id=x&v=y`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(404);
    expect(standIn.asked.length).toBe(before);
  });
});

test('a store that is not reachable → 503 SERVICE_UNAVAILABLE, not a 500', async () => {
  const standIn = startImageStandIn();
  const port = await standIn.listen();
  await standIn.close();
  const router = await startTestRouter([STORE], { env: { STORE_URL: `http://127.0.0.1:${port}/graphql` } });
  try {
    const response = await fetch(`${new URL(router.url).origin}/product-images?id=a&v=b`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' }, message: expect.stringMatching(/not reachable/) }] });
  } finally {
    await router.dispose();
  }
});
