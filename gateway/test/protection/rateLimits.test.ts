import { startTestRouter } from '../helpers/router';
import { shop, type TestRouter, query, from, expectRefused, expectPassed } from './shop';

/** Rate limits (IP, cost, auth operations), through the real router. */

describe('rate limits', () => {
  test('per IP (RATE_LIMIT_IP=3): the 4th request → 429 RATE_LIMITED with Retry-After, before it is even parsed', async () => {
    const router = await startTestRouter([shop], { env: { RATE_LIMIT_IP: '3' } });
    try {
      for (let i = 0; i < 3; i++) expect((await query(router.url, '{ ping }')).data).toEqual({ ping: 'pong' });
      const limited = await query(router.url, '{ ping }');
      expectRefused(limited, 429, 'RATE_LIMITED');
      const retryAfter = limited.headers.get('retry-after');
      expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(limited.errors![0].extensions!.retryAfter).toBe(Number(retryAfter));
      // Not parsed: a body that is not even JSON gets the same answer.
      const garbage = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
      expect(garbage.status).toBe(429);
      // GET counts as well.
      expect((await fetch(`${router.url}?query=${encodeURIComponent('{ ping }')}`, { headers: { 'apollo-require-preflight': 'true' } })).status).toBe(429);
      // A browser page may read the refusal: CORS headers come first.
      const fromPage = await query(router.url, '{ ping }', {}, { origin: 'http://localhost:5173' });
      expect(fromPage.status).toBe(429);
      expect(fromPage.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(fromPage.headers.get('access-control-expose-headers')).toMatch(/retry-after/i);
      // Health probes are not GraphQL requests and stay answered.
      expect((await fetch(router.url.replace(/\/graphql$/, '/health'))).status).toBe(200);
    } finally {
      await router.dispose();
    }
  });

  test('RATE_LIMITS=false lets everything through, whatever the budgets', async () => {
    const router = await startTestRouter([shop], { env: { RATE_LIMITS: 'false', RATE_LIMIT_IP: '1', RATE_LIMIT_COST: '1', RATE_LIMIT_AUTH: '1' } });
    try {
      for (let i = 0; i < 4; i++) {
        expectPassed(await query(router.url, '{ products(first: 5) { id } }'));
        expectPassed(await query(router.url, 'mutation { logIn(email: "a@example.com") }'));
      }
    } finally {
      await router.dispose();
    }
  });

  describe('behind one proxy (TRUST_PROXY_HOPS=1), budgets per X-Forwarded-For client', () => {
    let router: TestRouter;
    beforeAll(async () => {
      router = await startTestRouter([shop], {
        env: { TRUST_PROXY_HOPS: '1', RATE_LIMIT_IP: '3', RATE_LIMIT_COST: '20', RATE_LIMIT_AUTH: '2' },
      });
    });
    afterAll(() => router?.dispose());

    test('two clients have separate IP budgets; a forged X-Forwarded-For entry does not buy a new one', async () => {
      for (let i = 0; i < 3; i++) expectPassed(await query(router.url, '{ ping }', {}, from('10.0.0.1')));
      expectRefused(await query(router.url, '{ ping }', {}, from('10.0.0.1')), 429, 'RATE_LIMITED');
      // The client wrote the first entry itself; the proxy appended the address it saw.
      expectRefused(await query(router.url, '{ ping }', {}, from('203.0.113.7, 10.0.0.1')), 429, 'RATE_LIMITED');
      expectPassed(await query(router.url, '{ ping }', {}, from('10.0.0.2')));
    });

    test('cost budget (RATE_LIMIT_COST=20): over it → 429 budget "cost"; free operations still run', async () => {
      const ip = from('10.0.1.1');
      expectPassed(await query(router.url, '{ products(first: 15) { id } }', {}, ip));
      const limited = await query(router.url, '{ products(first: 15) { id } }', {}, ip);
      expectRefused(limited, 429, 'RATE_LIMITED');
      expect(limited.errors![0].extensions).toMatchObject({ budget: 'cost', retryAfter: expect.any(Number) });
      expect(limited.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
      // Scalars cost nothing, so a cost-free query is still answered.
      expectPassed(await query(router.url, '{ ping }', {}, ip));
    });

    test('auth operations (RATE_LIMIT_AUTH=2) per IP, also when hidden in fragments → 429 budget "auth"', async () => {
      const ip = from('10.0.2.1');
      expectPassed(await query(router.url, 'mutation { ...L } fragment L on Mutation { logIn(email: "a@example.com") }', {}, ip));
      expectPassed(await query(router.url, 'mutation { ... on Mutation { logIn(email: "a@example.com") } }', {}, ip));
      const limited = await query(router.url, 'mutation { logIn(email: "a@example.com") }', {}, ip);
      expectRefused(limited, 429, 'RATE_LIMITED');
      expect(limited.errors![0].extensions!.budget).toBe('auth');
      expect(limited.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
      // Another address has its own auth budget.
      expectPassed(await query(router.url, 'mutation { logIn(email: "a@example.com") }', {}, from('10.0.2.2')));
    });
  });
});
