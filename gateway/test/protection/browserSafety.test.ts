import { startTestRouter } from '../helpers/router';
import { calls, shop, type TestRouter, query } from './shop';

/** CSRF and CORS, through the real router. */

describe('browser safety', () => {
  let router: TestRouter;
  beforeAll(async () => {
    router = await startTestRouter([shop]);
  });
  afterAll(() => router?.dispose());

  describe('CSRF: requests a page on another site could send without a preflight are refused before they run', () => {
    const mutation = 'mutation { touch }';
    const expectCsrfRefusal = async (response: Response) => {
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(body.errors[0].message).toMatch(/CSRF/);
    };

    test('a cross-site form POST (application/x-www-form-urlencoded) → 400, the resolver never ran', async () => {
      const before = calls.touch;
      const response = await fetch(router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        body: `query=${encodeURIComponent(mutation)}`,
      });
      await expectCsrfRefusal(response);
      expect(calls.touch).toBe(before);
    });

    test.each(['text/plain', 'multipart/form-data; boundary=x'])('a %s POST → 400, the resolver never ran', async (contentType) => {
      const before = calls.touch;
      await expectCsrfRefusal(await fetch(router.url, { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify({ query: mutation }) }));
      expect(calls.touch).toBe(before);
    });

    test('application/json runs', async () => {
      const before = calls.touch;
      expect((await query(router.url, mutation)).data).toEqual({ touch: before + 1 });
      expect(calls.touch).toBe(before + 1);
    });

    test('a GET without a preflight-forcing header → 400, for a query and a mutation; with one, a query runs and a mutation still does not', async () => {
      const get = (text: string, headers: Record<string, string> = {}) => fetch(`${router.url}?query=${encodeURIComponent(text)}`, { headers });
      const before = calls.touch;
      await expectCsrfRefusal(await get('{ ping }'));
      await expectCsrfRefusal(await get(mutation));
      const preflighted = await get('{ ping }', { 'apollo-require-preflight': 'true' });
      expect(preflighted.status).toBe(200);
      expect(await preflighted.json()).toEqual({ data: { ping: 'pong' } });
      // Mutations are never run over GET.
      expect((await get(mutation, { 'apollo-require-preflight': 'true' })).status).toBe(405);
      expect(calls.touch).toBe(before);
    });
  });

  describe('CORS allow-list (development default: http://localhost:3000, http://localhost:5173)', () => {
    test('an allowed origin gets Access-Control-Allow-Origin equal to it, with credentials', async () => {
      const answer = await query(router.url, '{ ping }', {}, { origin: 'http://localhost:3000' });
      expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
      expect(answer.headers.get('access-control-expose-headers')).toMatch(/retry-after/i);
    });

    test('a disallowed origin gets no Access-Control-Allow-Origin', async () => {
      const answer = await query(router.url, '{ ping }', {}, { origin: 'https://evil.example' });
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    });

    test('a preflight from an allowed origin → 204 with the allowed methods; from another, no allow-origin', async () => {
      const preflight = (origin: string) =>
        fetch(router.url, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
        });
      const allowed = await preflight('http://localhost:5173');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      expect(allowed.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(allowed.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
      expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    });

    test('CORS_ORIGINS=* → Access-Control-Allow-Origin: * and never credentials', async () => {
      const any = await startTestRouter([shop], { env: { CORS_ORIGINS: '*' } });
      try {
        const answer = await query(any.url, '{ ping }', {}, { origin: 'https://anywhere.example' });
        expect(answer.headers.get('access-control-allow-origin')).toBe('*');
        expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
        const preflight = await fetch(any.url, { method: 'OPTIONS', headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'POST' } });
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
        expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
      } finally {
        await any.dispose();
      }
    });
  });
});
