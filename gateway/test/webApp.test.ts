import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { startTestRouter } from './helpers/router';

const GREETINGS = {
  name: 'greetings',
  typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { hello: String }`,
  resolvers: { Query: { hello: () => 'hello' } },
};

/** A script that compresses well, as real bundles do. */
const BIG_SCRIPT = `export const words = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `word${i % 50}`))};`;

describe('the web app from the router (WEB_DIST_PATH)', () => {
  let dist: string;
  let router: Awaited<ReturnType<typeof startTestRouter>>;
  let origin: string;
  beforeAll(async () => {
    dist = await mkdtemp(path.join(os.tmpdir(), 'web-dist-'));
    await mkdir(path.join(dist, 'assets'));
    await writeFile(path.join(dist, 'index.html'), '<!DOCTYPE html><title>DoranDoran</title>');
    await writeFile(path.join(dist, 'assets', 'index-abc123.js'), 'console.log("app")');
    // As the build precompresses (web/vite.config.mts): a big script with both variants, the page with gzip only.
    await writeFile(path.join(dist, 'assets', 'vendor-def456.js'), BIG_SCRIPT);
    await writeFile(path.join(dist, 'assets', 'vendor-def456.js.br'), brotliCompressSync(BIG_SCRIPT));
    await writeFile(path.join(dist, 'assets', 'vendor-def456.js.gz'), gzipSync(BIG_SCRIPT));
    await writeFile(path.join(dist, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
    await writeFile(path.join(dist, 'graphiql.html'), '<!DOCTYPE html><title>GraphiQL</title>');
    router = await startTestRouter([GREETINGS], { env: { WEB_DIST_PATH: dist } });
    origin = new URL(router.url).origin;
  });
  afterAll(async () => {
    await router?.dispose();
    await rm(dist, { recursive: true, force: true });
  });

  /** What Chromium sends when it loads a page. */
  const PAGE_LOAD = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8' };

  test('/ and the app routes are index.html, revalidated; hashed assets are cached for good', async () => {
    for (const route of ['/', '/chat', '/chat/0192-room']) {
      const response = await fetch(`${origin}${route}`, { headers: PAGE_LOAD });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toContain('<title>DoranDoran</title>');
    }
    const asset = await fetch(`${origin}/assets/index-abc123.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  test('an unknown path is the router\'s 404 for a client that does not ask for a page', async () => {
    for (const accept of ['*/*', 'application/json']) {
      const response = await fetch(`${origin}/chat/0192-room`, { headers: { accept } });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type') ?? '').not.toContain('text/html');
    }
  });

  test('a missing file is a 404, and nothing outside the build folder is served', async () => {
    expect((await fetch(`${origin}/assets/missing.js`)).status).toBe(404);
    for (const escape of ['/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/etc/passwd']) {
      const response = await fetch(`${origin}${escape}`);
      expect(await response.text()).not.toContain('"name"');
      expect(response.headers.get('content-type') ?? '').not.toContain('text/javascript');
    }
  });

  test('a precompressed file is sent as brotli or gzip as the client accepts, always with vary: accept-encoding', async () => {
    // node:http, not fetch, which would decode the body itself: the bytes as sent.
    const asked = (acceptEncoding: string, file = '/assets/vendor-def456.js') =>
      new Promise<{ encoding: string | null; vary: string | null; length: number; body: Buffer }>((resolve, reject) => {
        get(`${origin}${file}`, { headers: { 'accept-encoding': acceptEncoding } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              encoding: response.headers['content-encoding'] ?? null,
              vary: response.headers.vary ?? null,
              length: Number(response.headers['content-length']),
              body: Buffer.concat(chunks),
            }),
          );
        }).on('error', reject);
      });
    const br = await asked('gzip, deflate, br');
    expect(br).toMatchObject({ encoding: 'br', vary: 'accept-encoding', length: br.body.length });
    expect(brotliDecompressSync(br.body).toString()).toBe(BIG_SCRIPT);
    expect(br.length).toBeLessThan(BIG_SCRIPT.length / 10);
    const gzip = await asked('gzip');
    expect(gzip).toMatchObject({ encoding: 'gzip', vary: 'accept-encoding' });
    expect(gunzipSync(gzip.body).toString()).toBe(BIG_SCRIPT);
    expect(await asked('gzip, br;q=0')).toMatchObject({ encoding: 'gzip' });
    for (const none of ['identity', 'br;q=0, gzip;q=0', '']) {
      const plain = await asked(none);
      expect(plain).toMatchObject({ encoding: null, vary: 'accept-encoding', length: BIG_SCRIPT.length });
      expect(plain.body.toString()).toBe(BIG_SCRIPT);
    }
    // A file without variants is sent as it is; the variants are never files of their own.
    expect((await asked('br, gzip')).encoding).toBe('br');
    expect((await asked('br, gzip', '/assets/index-abc123.js')).encoding).toBeNull();
    expect((await fetch(`${origin}/assets/vendor-def456.js.br`)).status).toBe(404);
  });

  test('the app is sent with its Content-Security-Policy (no inline script, graphql-ws to itself) and the usual headers', async () => {
    for (const url of [`${origin}/`, `${origin}/chat`, `${origin}/assets/index-abc123.js`]) {
      const response = await fetch(url, { headers: PAGE_LOAD });
      const policy = response.headers.get('content-security-policy')!;
      expect(policy).toContain("script-src 'self'");
      expect(policy).not.toContain('unsafe-inline');
      expect(policy).not.toContain('unsafe-eval');
      expect(policy).toContain("connect-src 'self'");
      expect(policy).toContain("img-src 'self' data: blob:");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    }
  });

  test('/favicon.ico is there, cached for a day; /graphiql is the local GraphiQL in development', async () => {
    const favicon = await fetch(`${origin}/favicon.ico`);
    expect(favicon.status).toBe(200);
    expect(favicon.headers.get('content-type')).toBe('image/x-icon');
    expect(favicon.headers.get('cache-control')).toBe('public, max-age=86400');
    const graphiql = await fetch(`${origin}/graphiql`, { headers: PAGE_LOAD });
    expect(graphiql.status).toBe(200);
    expect(await graphiql.text()).toContain('<title>GraphiQL</title>');
    expect(graphiql.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  test('GraphQL stays at /graphql', async () => {
    expect((await router.execute('{ hello }')).data).toEqual({ hello: 'hello' });
  });
});

test('production serves no /graphiql (introspection is off there, as Sandbox is)', async () => {
  const dist = await mkdtemp(path.join(os.tmpdir(), 'web-dist-'));
  await writeFile(path.join(dist, 'index.html'), '<!DOCTYPE html><title>DoranDoran</title>');
  await writeFile(path.join(dist, 'graphiql.html'), '<!DOCTYPE html><title>GraphiQL</title>');
  const router = await startTestRouter([GREETINGS], { env: { WEB_DIST_PATH: dist, NODE_ENV: 'production' } });
  try {
    const response = await fetch(new URL('/graphiql', router.url), { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toContain('GraphiQL');
  } finally {
    await router.dispose();
    await rm(dist, { recursive: true, force: true });
  }
});
