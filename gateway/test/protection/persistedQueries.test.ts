import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestRouter } from '../helpers/router';
import { calls, shop, type TestRouter, send, query, sha256, expectRefused, expectPassed } from './shop';

/** Persisted queries and the safelist, through the real router. */

describe('persisted queries', () => {
  const apq = (sha256Hash: string, text?: string) => ({ ...(text === undefined ? {} : { query: text }), extensions: { persistedQuery: { version: 1, sha256Hash } } });

  describe('automatic (APQ)', () => {
    let router: TestRouter;
    beforeAll(async () => {
      router = await startTestRouter([shop]);
    });
    afterAll(() => router?.dispose());

    test('a hash alone for an unknown query → PERSISTED_QUERY_NOT_FOUND; once registered with its text, the hash alone runs it', async () => {
      const text = 'query Registered { products(first: 2) { id } }';
      const hash = sha256(text);
      const unknown = await send(router.url, apq(hash));
      expect(unknown.errors).toEqual([expect.objectContaining({ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } })]);
      expect(unknown.data ?? null).toBeNull();
      const registered = await send(router.url, apq(hash, text));
      expect(registered.data).toEqual({ products: [{ id: 'p0' }, { id: 'p1' }] });
      const byHash = await send(router.url, apq(hash));
      expectPassed(byHash);
      expect(byHash.data).toEqual(registered.data);
    });

    test('a hash that is not the text’s → 400, nothing registered', async () => {
      const text = '{ ping }';
      const wrong = sha256('{ something else }');
      expect((await send(router.url, apq(wrong, text))).status).toBe(400);
      expect((await send(router.url, apq(wrong))).errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    });

    test('a registered query is still checked against the limits', async () => {
      const text = '{ products(first: 100000) { related { id } } }';
      expectRefused(await send(router.url, apq(sha256(text), text)), 400, 'MAX_COST_EXCEEDED');
      expect((await send(router.url, apq(sha256(text)))).errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    });
  });

  describe('safelist (PERSISTED_QUERY_MANIFEST + SAFELIST=true)', () => {
    const PING = 'query Ping { ping }';
    const PRODUCTS = 'query Products($n: Int) { products(first: $n) { id } }';
    let dir: string;
    let router: TestRouter;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'safelist-test-'));
      const manifest = {
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [
          { id: sha256(PING), name: 'Ping', type: 'query', body: PING },
          { id: sha256(PRODUCTS), name: 'Products', type: 'query', body: PRODUCTS },
        ],
      };
      const file = path.join(dir, 'manifest.json');
      await writeFile(file, JSON.stringify(manifest));
      router = await startTestRouter([shop], { env: { PERSISTED_QUERY_MANIFEST: file, SAFELIST: 'true' } });
    });
    afterAll(async () => {
      await router?.dispose();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('a manifest operation runs by its body', async () => {
      expect((await query(router.url, PING)).data).toEqual({ ping: 'pong' });
      expect((await query(router.url, PRODUCTS, { n: 1 })).data).toEqual({ products: [{ id: 'p0' }] });
    });

    test('a manifest operation runs by its id', async () => {
      expect((await send(router.url, apq(sha256(PING)))).data).toEqual({ ping: 'pong' });
      expect((await send(router.url, { ...apq(sha256(PRODUCTS)), variables: { n: 2 } })).data).toEqual({ products: [{ id: 'p0' }, { id: 'p1' }] });
    });

    test.each([
      ['another operation', '{ ping }'],
      ['a manifest body with other whitespace', 'query Ping {  ping }'],
      ['a mutation', 'mutation { touch }'],
    ])('%s → 400 PERSISTED_QUERY_NOT_IN_LIST, and it does not run', async (_what, text) => {
      const before = calls.touch;
      expectRefused(await query(router.url, text), 400, 'PERSISTED_QUERY_NOT_IN_LIST');
      expect(calls.touch).toBe(before);
    });

    test('registering another operation as an APQ is refused', async () => {
      const text = '{ products(first: 1) { name } }';
      expectRefused(await send(router.url, apq(sha256(text), text)), 400, 'PERSISTED_QUERY_NOT_IN_LIST');
    });

    test('an id that is not in the manifest → 400 PERSISTED_QUERY_NOT_IN_LIST', async () => {
      // One that a client just tried to register, and one nobody ever sent.
      for (const text of ['{ products(first: 1) { name } }', '{ never { sent } }']) {
        expectRefused(await send(router.url, apq(sha256(text))), 400, 'PERSISTED_QUERY_NOT_IN_LIST');
      }
    });
  });
});
