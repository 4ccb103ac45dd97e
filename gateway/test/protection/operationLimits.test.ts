import { startTestRouter } from '../helpers/router';
import { shop, type TestRouter, query, expectRefused, expectPassed } from './shop';

/** Operation limits and the cost estimate, through the real router. */

/** `product { parent { … { id } } }`: `depth` levels of fields, counting the scalar leaf. */
const nested = (depth: number) => `{ product(id: "1") { ${'parent { '.repeat(depth - 2)}id${' }'.repeat(depth - 2)} } }`;
/** `count` aliases below one root field. */
const aliased = (count: number) => `{ product(id: "1") { ${Array.from({ length: count }, (_, i) => `a${i}: id`).join(' ')} } }`;
/** `count` root fields (aliases of `ping`). */
const rootFields = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `r${i}: ping`).join(' ')} }`;
/** Exactly `tokens` lexical tokens: `{ echo ( words : [ "w"… ] ) }` is 9 plus one per word. */
const tokens = (count: number) => `{ echo(words: [${Array.from({ length: count - 9 }, () => '"w"').join(' ')}]) }`;
/** `count` directives on one field. */
const directives = (count: number) => `{ product(id: "1") { id ${Array.from({ length: count }, (_, i) => `@mark(n: ${i})`).join(' ')} } }`;


describe('operation limits (defaults: depth 12, aliases 15, root fields 10, tokens 2000, directives 5, cost 10000)', () => {
  let router: TestRouter;
  beforeAll(async () => {
    router = await startTestRouter([shop]);
  });
  afterAll(() => router?.dispose());

  test.each([
    ['depth', nested(12), nested(13), 'MAX_DEPTH_EXCEEDED', 12],
    ['aliases', aliased(15), aliased(16), 'MAX_ALIASES_EXCEEDED', 15],
    ['root fields', rootFields(10), rootFields(11), 'MAX_ROOT_FIELDS_EXCEEDED', 10],
    ['tokens', tokens(2000), tokens(2001), 'MAX_TOKENS_EXCEEDED', 2000],
    ['directives per field', directives(5), directives(6), 'MAX_DIRECTIVES_EXCEEDED', 5],
    ['cost', '{ products(first: 100) { related(first: 99) { id } } }', '{ products(first: 100) { related(first: 100) { id } } }', 'MAX_COST_EXCEEDED', 10000],
  ])('%s: at the limit passes, one over → 400 with its code and limit', async (_limit, atLimit, overLimit, code, limit) => {
    expectPassed(await query(router.url, atLimit));
    const refused = await query(router.url, overLimit);
    expectRefused(refused, 400, code);
    expect(refused.errors![0].extensions).toEqual({ code, limit });
    expect(refused.errors![0].message.length).toBeGreaterThan(20);
  });

  test('the operations at the limits return their data', async () => {
    expect((await query(router.url, nested(5))).data).toEqual({ product: { parent: { parent: { parent: { id: '1^^^' } } } } });
    expect((await query(router.url, tokens(2000))).data).toEqual({ echo: 1991 });
    expect((await query(router.url, directives(5))).data).toEqual({ product: { id: '1' } });
  });

  test('aliases hidden in fragments count', async () => {
    const inFragment = (count: number) =>
      `{ product(id: "1") { ...A } } fragment A on Product { ${Array.from({ length: count }, (_, i) => `a${i}: id`).join(' ')} }`;
    expectPassed(await query(router.url, inFragment(15)));
    expectRefused(await query(router.url, inFragment(16)), 400, 'MAX_ALIASES_EXCEEDED');
    // Eight beside the spread, eight inside it (once inline, once named).
    const eight = (prefix: string) => Array.from({ length: 8 }, (_, i) => `${prefix}${i}: id`).join(' ');
    expectRefused(await query(router.url, `{ product(id: "1") { ${eight('a')} ...B } } fragment B on Product { ${eight('b')} }`), 400, 'MAX_ALIASES_EXCEEDED');
    expectRefused(await query(router.url, `{ product(id: "1") { ${eight('a')} ... on Product { ${eight('b')} } } }`), 400, 'MAX_ALIASES_EXCEEDED');
  });

  test('root fields and depth hidden in fragments count', async () => {
    const fields = Array.from({ length: 11 }, (_, i) => `r${i}: ping`).join(' ');
    expectRefused(await query(router.url, `{ ...Q } fragment Q on Query { ${fields} }`), 400, 'MAX_ROOT_FIELDS_EXCEEDED');
    expectRefused(await query(router.url, `{ ... on Query { ${fields} } }`), 400, 'MAX_ROOT_FIELDS_EXCEEDED');
    // __typename is not a root field worth a limit.
    expectPassed(await query(router.url, `{ __typename ${Array.from({ length: 10 }, (_, i) => `r${i}: ping`).join(' ')} }`));
    // product, ten parents and id are 12 levels; one parent more is 13.
    const deep = (parents: number) => `{ product(id: "1") { ...P } } fragment P on Product { ${'parent { '.repeat(parents)}id${' }'.repeat(parents)} }`;
    expectPassed(await query(router.url, deep(10)));
    expectRefused(await query(router.url, deep(11)), 400, 'MAX_DEPTH_EXCEEDED');
  });

  test('a document seen before is measured once but checked on every request: its variables each time, and over a limit it is refused every time', async () => {
    expectRefused(await query(router.url, nested(13)), 400, 'MAX_DEPTH_EXCEEDED');
    expectRefused(await query(router.url, nested(13)), 400, 'MAX_DEPTH_EXCEEDED');
    const byId = 'query One($id: ID!) { product(id: $id) { id } }';
    expectPassed(await query(router.url, byId, { id: '1' }));
    expectRefused(await query(router.url, byId, { id: 'a\u0000b' }), 400, 'BAD_USER_INPUT');
    expectPassed(await query(router.url, byId, { id: '1' }));
  });

  describe('cost: objects × the sizes of the lists above them', () => {
    test('first and last from literals', async () => {
      const small = await query(router.url, '{ products(first: 5) { id name } }');
      expectPassed(small);
      expect(small.data!.products).toHaveLength(3);
      const huge = await query(router.url, '{ products(first: 100000) { related { id } } }');
      expectRefused(huge, 400, 'MAX_COST_EXCEEDED');
      expect(huge.errors![0].extensions!.limit).toBe(10000);
      expectRefused(await query(router.url, '{ products(last: 100000) { id } }'), 400, 'MAX_COST_EXCEEDED');
      expectPassed(await query(router.url, '{ products(last: 10000) { id } }'));
    });

    test('first from a variable', async () => {
      const text = 'query Page($n: Int) { products(first: $n) { related { id } } }';
      expectPassed(await query(router.url, text, { n: 5 }));
      expectRefused(await query(router.url, text, { n: 100000 }), 400, 'MAX_COST_EXCEEDED');
      // 100 products and 99 related each: 10 000, the limit; 100 each is over it.
      const nestedVariables = 'query Page($n: Int, $m: Int) { products(first: $n) { related(first: $m) { id } } }';
      expectPassed(await query(router.url, nestedVariables, { n: 100, m: 99 }));
      expectRefused(await query(router.url, nestedVariables, { n: 100, m: 100 }), 400, 'MAX_COST_EXCEEDED');
    });

    test('first from a variable’s default value, when the variable is not sent', async () => {
      const text = 'query Page($n: Int = 100000) { products(first: $n) { related { id } } }';
      expectRefused(await query(router.url, text), 400, 'MAX_COST_EXCEEDED');
      expectPassed(await query(router.url, 'query Page($n: Int = 5) { products(first: $n) { related { id } } }'));
      // A value sent wins over the default.
      expectPassed(await query(router.url, text, { n: 5 }));
    });

    test('a list without first/last counts as DEFAULT_LIST_SIZE (10)', async () => {
      // 10 + 100 + 1000 + 8000 = 9110
      expectPassed(await query(router.url, '{ products { related { related { related(first: 8) { id } } } } }'));
      // 10 + 100 + 1000 + 10000 = 11110
      expectRefused(await query(router.url, '{ products { related { related { related { id } } } } }'), 400, 'MAX_COST_EXCEEDED');
    });

    test('a connection’s first sizes the edges below it', async () => {
      // 1 + 400 edges + 400 nodes + 4000 related
      expectPassed(await query(router.url, '{ productPage(first: 400) { edges { node { related { id } } } } }'));
      // 1 + 2000 + 2000 + 20000: over, although no list below the page has its own first.
      expectRefused(await query(router.url, '{ productPage(first: 2000) { edges { node { related { id } } } } }'), 400, 'MAX_COST_EXCEEDED');
    });

    test('scalars are free: a wide query of scalars costs nothing', async () => {
      expectPassed(await query(router.url, `{ ${Array.from({ length: 10 }, (_, i) => `r${i}: echo(words: ["a"])`).join(' ')} }`));
    });
  });
});
