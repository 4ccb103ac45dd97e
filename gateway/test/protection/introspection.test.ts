import { startTestRouter } from '../helpers/router';
import { shop, type TestRouter, query, expectRefused } from './shop';

/** Introspection and suggestions by mode, through the real router. */

describe('introspection and suggestions', () => {
  const INTROSPECTION = '{ __schema { queryType { name } } }';
  const MISSPELT = [
    ['field', '{ prodcts { id } }', /"prodcts"/, '"products"'],
    ['argument', '{ products(frist: 5) { id } }', /"frist"/, '"first"'],
    ['type', 'query($n: Itn) { products(first: $n) { id } }', /"Itn"/, '"Int"'],
  ] as const;

  describe('development', () => {
    let router: TestRouter;
    beforeAll(async () => {
      router = await startTestRouter([shop]);
    });
    afterAll(() => router?.dispose());

    test('introspection is answered', async () => {
      expect((await query(router.url, INTROSPECTION)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });

    test.each(MISSPELT)('a misspelt %s is answered with a suggestion', async (_what, text, named, suggestion) => {
      const answer = await query(router.url, text);
      expectRefused(answer, 400, 'GRAPHQL_VALIDATION_FAILED');
      expect(answer.errors![0].message).toMatch(named);
      expect(answer.errors![0].message).toContain(`Did you mean ${suggestion}`);
    });
  });

  describe('production (NODE_ENV=production)', () => {
    let router: TestRouter;
    beforeAll(async () => {
      router = await startTestRouter([shop], { env: { NODE_ENV: 'production' } });
    });
    afterAll(() => router?.dispose());

    test('introspection is refused', async () => {
      const answer = await query(router.url, INTROSPECTION);
      expectRefused(answer, 400, 'GRAPHQL_VALIDATION_FAILED');
      expect(answer.errors![0].message).toMatch(/introspection/i);
      expectRefused(await query(router.url, '{ __type(name: "Product") { fields { name } } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
    });

    test.each(MISSPELT)('a misspelt %s is still named, without "Did you mean"', async (_what, text, named, suggestion) => {
      const answer = await query(router.url, text);
      expectRefused(answer, 400, 'GRAPHQL_VALIDATION_FAILED');
      expect(answer.errors![0].message).toMatch(named);
      expect(answer.errors![0].message).not.toMatch(/Did you mean/);
      expect(answer.errors![0].message).not.toContain(suggestion);
    });

    test('ordinary operations run; no origin is allowed by default', async () => {
      const answer = await query(router.url, '{ ping }', {}, { origin: 'http://localhost:3000' });
      expect(answer.data).toEqual({ ping: 'pong' });
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
