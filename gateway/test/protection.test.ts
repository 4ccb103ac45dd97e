import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createMemoryPubSub } from '@dorandoran/service-kit';
import { startTestRouter, type TestSubgraph } from './helpers/router';

/**
 * Router protection, through the real router over one small subgraph: operation limits and cost,
 * rate limits (IP, cost, auth operations), body size, CSRF, CORS, production hardening,
 * persisted queries and the safelist, and the same guards over WebSocket.
 */

const SHOP = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
directive @mark(n: Int) repeatable on FIELD
type Query {
  ping: String
  echo(words: [String!]): Int
  product(id: ID!): Product
  products(first: Int, last: Int): [Product!]!
  productPage(first: Int): ProductPage!
}
type Mutation {
  touch: Int!
  logIn(email: String!): Boolean!
}
type Subscription { ticked(topic: String!): Tick! }
type Tick { id: ID!  product: Product! }
type ProductPage { edges: [ProductEdge!]! }
type ProductEdge { node: Product! }
type Product @key(fields: "id") {
  id: ID!
  name: String!
  parent: Product
  related(first: Int): [Product!]!
}`;

const pubsub = createMemoryPubSub();
/** How often the resolvers that change something actually ran. */
const calls = { touch: 0 };

const product = (id: string) => ({ id });
/** Lists are short whatever they are asked for: the cost estimate, not the data, is under test. */
const page = (prefix: string, size: number | undefined, fallback: number) =>
  Array.from({ length: Math.min(size ?? fallback, 3) }, (_, i) => product(`${prefix}${i}`));

const shop: TestSubgraph = {
  name: 'shop',
  typeDefs: SHOP,
  subscriptions: true,
  resolvers: {
    Query: {
      ping: () => 'pong',
      echo: (_: unknown, { words }: { words?: string[] }) => words?.length ?? 0,
      product: (_: unknown, { id }: { id: string }) => product(id),
      products: (_: unknown, { first, last }: { first?: number; last?: number }) => page('p', first ?? last, 3),
      productPage: (_: unknown, { first }: { first?: number }) => ({ edges: page('e', first, 3).map((node) => ({ node })) }),
    },
    Mutation: {
      touch: () => ++calls.touch,
      logIn: () => true,
    },
    Subscription: {
      ticked: {
        subscribe: (_: unknown, { topic }: { topic: string }) => pubsub.subscribe(`ticks:${topic}`),
        resolve: (tick: unknown) => tick,
      },
    },
    Tick: { product: (tick: { productId: string }) => product(tick.productId) },
    Product: {
      name: ({ id }: { id: string }) => `Product ${id}`,
      parent: ({ id }: { id: string }) => product(`${id}^`),
      related: ({ id }: { id: string }, { first }: { first?: number }) => page(`${id}.`, first, 2),
    },
  },
};

type TestRouter = Awaited<ReturnType<typeof startTestRouter>>;

interface Answer {
  status: number;
  headers: Headers;
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

/** POSTs a JSON body (anything: APQ extensions, padding) and returns status, headers and body. */
async function send(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, ...((await response.json()) as Omit<Answer, 'status' | 'headers'>) };
}

const query = (url: string, text: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  send(url, { query: text, variables }, headers);

/** An X-Forwarded-For header, as the one proxy in front of the router (TRUST_PROXY_HOPS=1) writes it. */
const from = (ip: string) => ({ 'x-forwarded-for': ip });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A refused operation: the status, one error with this code, no data. */
function expectRefused(answer: Answer, status: number, code: string) {
  expect({ status: answer.status, code: answer.errors?.[0]?.extensions?.code }).toEqual({ status, code });
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors).toHaveLength(1);
}

function expectPassed(answer: Answer) {
  expect(answer.errors).toBeUndefined();
  expect(answer.status).toBe(200);
  expect(answer.data).toBeTruthy();
}

// Operation shapes, each sized by how close to a limit it is.

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

describe('body size', () => {
  let router: TestRouter;
  beforeAll(async () => {
    router = await startTestRouter([shop]);
  });
  afterAll(() => router?.dispose());

  test('a body over MAX_BODY_BYTES (256 KiB) → 413 PAYLOAD_TOO_LARGE; one under it runs', async () => {
    const over = await send(router.url, { query: '{ ping }', variables: { pad: 'x'.repeat(300 * 1024) } });
    expectRefused(over, 413, 'PAYLOAD_TOO_LARGE');
    const under = await send(router.url, { query: '{ ping }', variables: { pad: 'x'.repeat(250 * 1024) } });
    expect(under.data).toEqual({ ping: 'pong' });
  });

  test('MAX_BODY_BYTES can be lowered', async () => {
    const small = await startTestRouter([shop], { env: { MAX_BODY_BYTES: '2048' } });
    try {
      expectRefused(await send(small.url, { query: '{ ping }', variables: { pad: 'x'.repeat(2100) } }), 413, 'PAYLOAD_TOO_LARGE');
      expectPassed(await send(small.url, { query: '{ ping }', variables: { pad: 'x'.repeat(1900) } }));
    } finally {
      await small.dispose();
    }
  });
});

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

describe('WebSocket (graphql-ws at /graphql)', () => {
  let router: TestRouter;
  const clients: Client[] = [];
  beforeAll(async () => {
    router = await startTestRouter([shop], { env: { TRUST_PROXY_HOPS: '1', RATE_LIMIT_IP: '2', RATE_LIMIT_COST: '2', MAX_DEPTH: '3', MAX_TOKENS: '50' } });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(() => router?.dispose());

  /** A client whose upgrade request carries the proxy's X-Forwarded-For for `ip`. */
  const connect = (ip: string, onClosed?: (code: number) => void) => {
    class ForwardedWebSocket extends WebSocket {
      constructor(address: string | URL, protocols?: string | string[]) {
        super(address, protocols, { headers: from(ip) });
      }
    }
    const client = createClient({
      url: router.wsUrl,
      webSocketImpl: ForwardedWebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      on: { closed: (event) => onClosed?.((event as { code: number }).code) },
    });
    clients.push(client);
    return client;
  };
  /** Resolves 'connected', or the close code when the router refused the connection. */
  const outcome = (ip: string) =>
    new Promise<'connected' | number>((resolve) => {
      const client = connect(ip, resolve);
      client.on('connected', () => resolve('connected'));
    });
  /** Waits until the subgraph has exactly `count` topics listened to. */
  const waitForTopics = async (count: number) => {
    for (let i = 0; i < 250 && pubsub.topicCount !== count; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pubsub.topicCount).toBe(count);
  };

  test('each connection spends one IP point (RATE_LIMIT_IP=2): the 3rd is closed with 4429', async () => {
    expect(await outcome('10.9.0.1')).toBe('connected');
    expect(await outcome('10.9.0.1')).toBe('connected');
    expect(await outcome('10.9.0.1')).toBe(4429);
    // Another client's budget is its own.
    expect(await outcome('10.9.0.2')).toBe('connected');
    // HTTP spends from the same budget.
    expectRefused(await query(router.url, '{ ping }', {}, from('10.9.0.1')), 429, 'RATE_LIMITED');
  });

  test('a subscription over MAX_DEPTH gets MAX_DEPTH_EXCEEDED; one at the limit runs', async () => {
    await waitForTopics(0);
    const client = connect('10.9.1.1');
    const tooDeep = client.iterate({ query: 'subscription { ticked(topic: "deep") { product { parent { id } } } }' });
    await expect(tooDeep.next()).rejects.toEqual([expect.objectContaining({ extensions: { code: 'MAX_DEPTH_EXCEEDED', limit: 3 } })]);
    const events = client.iterate({ query: 'subscription { ticked(topic: "deep") { product { id } } }' });
    const first = events.next();
    await waitForTopics(1);
    await pubsub.publish('ticks:deep', { id: 't1', productId: 'p9' });
    expect((await first).value).toEqual({ data: { ticked: { product: { id: 'p9' } } } });
    await events.return?.();
  });

  test('a subscription over MAX_TOKENS gets MAX_TOKENS_EXCEEDED', async () => {
    const client = connect('10.9.3.1');
    // subscription { ticked ( topic : "t" ) { id … } }: 11 tokens and one per id.
    const text = (ids: number) => `subscription { ticked(topic: "tokens") { ${'id '.repeat(ids)}} }`;
    const tooLong = client.iterate({ query: text(40) });
    await expect(tooLong.next()).rejects.toEqual([expect.objectContaining({ extensions: { code: 'MAX_TOKENS_EXCEEDED', limit: 50 } })]);
  });

  test('each subscribe spends the cost budget (RATE_LIMIT_COST=2): over it → RATE_LIMITED', async () => {
    await waitForTopics(0);
    const client = connect('10.9.2.1');
    // ticked and product: 2 objects, the whole budget.
    const events = client.iterate({ query: 'subscription { ticked(topic: "cost") { product { id } } }' });
    const first = events.next();
    await waitForTopics(1);
    const limited = client.iterate({ query: 'subscription { ticked(topic: "cost") { id } }' });
    await expect(limited.next()).rejects.toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED', budget: 'cost' }) })]);
    // The subscription within budget keeps running.
    await pubsub.publish('ticks:cost', { id: 't2', productId: 'p1' });
    expect((await first).value).toEqual({ data: { ticked: { product: { id: 'p1' } } } });
    await events.return?.();
  });
});
