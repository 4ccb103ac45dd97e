import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestRouter } from './helpers/router';

const GREETINGS = {
  name: 'greetings',
  typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { hello: String }`,
  resolvers: { Query: { hello: () => 'hello' } },
};

describe('the web app from the router (WEB_DIST_PATH)', () => {
  let dist: string;
  let router: Awaited<ReturnType<typeof startTestRouter>>;
  let origin: string;
  beforeAll(async () => {
    dist = await mkdtemp(path.join(os.tmpdir(), 'web-dist-'));
    await mkdir(path.join(dist, 'assets'));
    await writeFile(path.join(dist, 'index.html'), '<!DOCTYPE html><title>DoranDoran</title>');
    await writeFile(path.join(dist, 'assets', 'index-abc123.js'), 'console.log("app")');
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

  test('GraphQL stays at /graphql', async () => {
    expect((await router.execute('{ hello }')).data).toEqual({ hello: 'hello' });
  });
});
