import { freePort } from '@dorandoran/test-support/infra';
import { startTestRouter, type TestSubgraph } from './helpers/router';

/**
 * Requests an attacker (or a careless client) sends to the router: documents that multiply when
 * their fragments are written out, budgets dodged with aliases, text no database can store, and
 * malformed requests, each refused with a 4xx and a code that says what to fix.
 */

const NOTES = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { ping: String  echo(text: String, note: NoteInput): String  notes(first: Int): [Note!]! }
type Mutation { logIn(email: String!): Boolean!  signUp(email: String!): Boolean!  touch: Int! }
type Subscription { ticked: Int }
input NoteInput { title: String  tags: [String!] }
type Note { id: ID!  title: String! }`;

/** How often each resolver that a refused request must never reach ran. */
const calls = { echo: 0, logIn: 0, signUp: 0 };

const notes: TestSubgraph = {
  name: 'notes',
  typeDefs: NOTES,
  resolvers: {
    Query: {
      ping: () => 'pong',
      echo: (_: unknown, { text, note }: { text?: string; note?: { title?: string } }) => (++calls.echo, text ?? note?.title ?? null),
      notes: () => [{ id: '1', title: 'one' }],
    },
    Mutation: { logIn: () => (++calls.logIn, true), signUp: () => (++calls.signUp, true), touch: () => 1 },
    Subscription: { ticked: { subscribe: async function* () { yield { ticked: 1 }; } } },
  },
};

type Router = Awaited<ReturnType<typeof startTestRouter>>;
interface Answer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, ...((await response.json()) as Omit<Answer, 'status'>) };
}

/** Refused as a whole: the status, one error with this code and a message that says what to do. */
function expectRefused(answer: Answer, status: number, code: string) {
  expect({ status: answer.status, code: answer.errors?.[0]?.extensions?.code }).toEqual({ status, code });
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors![0].message.length).toBeGreaterThan(20);
}

/** `query { ...F0 } fragment F0 on Query { ...F1 ...F1 } …`: 2^levels fields once written out, in a few hundred bytes. */
const fragmentBomb = (levels: number) =>
  `query { ...F0 } ${Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F${levels} on Query { __typename }`;

/** Router CPU (and that of the in-process subgraph, an upper bound) spent answering one request. */
async function cpuSecondsOf(request: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await request();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

describe('documents that multiply', () => {
  let router: Router;
  beforeAll(async () => {
    router = await startTestRouter([notes], { env: { MAX_FIELDS: '40' } });
  });
  afterAll(() => router?.dispose());

  test.each([20, 40, 150])('a fragment bomb of %i levels is refused with MAX_FIELDS_EXCEEDED for little CPU, and the router answers at once after it', async (levels) => {
    let answer: Answer | undefined;
    const cpu = await cpuSecondsOf(async () => (answer = await post(router.url, { query: fragmentBomb(levels) })));
    expectRefused(answer!, 400, 'MAX_FIELDS_EXCEEDED');
    expect(answer!.errors![0].extensions!.limit).toBe(40);
    expect(cpu).toBeLessThan(1);
    expect((await post(router.url, { query: '{ ping }' })).data).toEqual({ ping: 'pong' });
  });

  test('MAX_FIELDS counts fields as written out: at the limit passes, one over is refused', async () => {
    // Twenty fields in a fragment spread twice: 40; one __typename more: 41.
    const twenty = Array.from({ length: 20 }, () => '__typename').join(' ');
    const twice = `{ ...A ...A } fragment A on Query { ${twenty} }`;
    expect((await post(router.url, { query: twice })).status).toBe(200);
    expectRefused(await post(router.url, { query: twice.replace('{ ...A', '{ __typename ...A') }), 400, 'MAX_FIELDS_EXCEEDED');
  });

  test('aliases of __typename count toward MAX_ALIASES (15)', async () => {
    const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    expect((await post(router.url, { query: aliases(15) })).status).toBe(200);
    expectRefused(await post(router.url, { query: aliases(16) }), 400, 'MAX_ALIASES_EXCEEDED');
  });
});

describe('budgets count root fields, not requests', () => {
  let router: Router;
  beforeAll(async () => {
    router = await startTestRouter([notes], { env: { TRUST_PROXY_HOPS: '1', RATE_LIMIT_AUTH: '3' } });
  });
  afterAll(() => router?.dispose());

  const aliased = (field: string, count: number) => `mutation { ${Array.from({ length: count }, (_, i) => `a${i}: ${field}(email: "a@b.c")`).join(' ')} }`;

  test('four aliased signUps spend four of an address’s three auth attempts: refused, and none runs', async () => {
    const before = calls.signUp;
    const refused = await post(router.url, { query: aliased('signUp', 4) }, { 'x-forwarded-for': '203.0.113.1' });
    expectRefused(refused, 429, 'RATE_LIMITED');
    expect(calls.signUp).toBe(before);
  });

  test('three aliased logIns spend the whole budget: the next single one from that address is refused', async () => {
    const from = { 'x-forwarded-for': '203.0.113.2' };
    expect((await post(router.url, { query: aliased('logIn', 3) }, from)).data).toEqual({ a0: true, a1: true, a2: true });
    expectRefused(await post(router.url, { query: aliased('logIn', 1) }, from), 429, 'RATE_LIMITED');
  });

  test('a logIn spread twice through a fragment counts twice', async () => {
    const from = { 'x-forwarded-for': '203.0.113.3' };
    const twice = 'mutation { ...L ...L } fragment L on Mutation { a: logIn(email: "a@b.c") b: logIn(email: "d@e.f") }';
    expectRefused(await post(router.url, { query: twice }, from), 429, 'RATE_LIMITED');
  });
});

describe('text no database can store', () => {
  let router: Router;
  beforeAll(async () => {
    router = await startTestRouter([notes]);
  });
  afterAll(() => router?.dispose());

  test.each([
    ['a NUL in a variable', '{"query":"query($t: String) { echo(text: $t) }","variables":{"t":"a\\u0000b"}}', 't', /NUL/],
    ['a NUL deep inside an input variable', '{"query":"query($n: NoteInput) { echo(note: $n) }","variables":{"n":{"tags":["ok","x\\u0000"]}}}', 'n.tags[1]', /NUL/],
    ['half a surrogate pair in a variable', '{"query":"query($t: String) { echo(text: $t) }","variables":{"t":"a\\ud800b"}}', 't', /surrogate/],
    ['a lone low surrogate', '{"query":"query($t: String) { echo(text: $t) }","variables":{"t":"\\udc00"}}', 't', /surrogate/],
    ['a NUL in a string literal', JSON.stringify({ query: '{ echo(text: "a\\u0000b") }' }), 'text', /NUL/],
    ['a NUL in an input object literal', JSON.stringify({ query: '{ echo(note: { title: "\\u0000" }) }' }), 'title', /NUL/],
  ])('%s → 400 BAD_USER_INPUT naming where it is; no resolver runs', async (_case, body, field, problem) => {
    const before = calls.echo;
    const answer = await post(router.url, body);
    expectRefused(answer, 400, 'BAD_USER_INPUT');
    expect(answer.errors![0].extensions!.field).toBe(field);
    expect(answer.errors![0].message).toMatch(problem);
    expect(calls.echo).toBe(before);
  });

  test('a whole surrogate pair (an emoji) and other text pass unchanged', async () => {
    const answer = await post(router.url, { query: 'query($t: String) { echo(text: $t) }', variables: { t: 'héllo 😀 안녕' } });
    expect(answer.data).toEqual({ echo: 'héllo 😀 안녕' });
  });

  test('variables nested ten thousand deep are refused as the body is read, before anything recurses through them', async () => {
    const deep = `${'['.repeat(10000)}"x"${']'.repeat(10000)}`;
    const answer = await post(router.url, `{"query":"query($n: NoteInput) { echo(note: $n) }","variables":{"n":{"tags":${deep}}}}`);
    expect(answer.status).toBe(400);
    expect(answer.errors![0].extensions).toEqual({ code: 'BAD_REQUEST', limit: 128 });
    expect(answer.errors![0].message).toMatch(/more than 128 levels deep/);
  });

  test('variables nested a hundred deep, under the bound, are refused by coercion with the variable named', async () => {
    const deep = `${'['.repeat(100)}"x"${']'.repeat(100)}`;
    const answer = await post(router.url, `{"query":"query($n: NoteInput) { echo(note: $n) }","variables":{"n":{"tags":${deep}}}}`);
    expect(answer.status).toBe(400);
    expect(answer.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(answer.errors![0].message).toMatch(/\$n/);
  });
});

describe('malformed requests are the client’s mistakes (4xx with a code), never a 500', () => {
  let router: Router;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    router = await startTestRouter([notes], { env: { NODE_ENV: 'production', METRICS_PORT: String(metricsPort) } });
  });
  afterAll(() => router?.dispose());

  test.each([
    ['an operationName that names no operation', { query: 'query A { ping }', operationName: 'B' }, 400, 'OPERATION_RESOLUTION_FAILURE', /no operation named "B".*A/],
    ['two named operations and no operationName', { query: 'query A { ping } query B { ping }' }, 400, 'OPERATION_RESOLUTION_FAILURE', /operationName/],
    ['a subscription over HTTP', { query: 'subscription { ticked }' }, 400, 'BAD_REQUEST', /graphql-ws/],
    ['an APQ hash that does not match the query', { query: '{ ping }', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }, 400, 'BAD_REQUEST', /sha/],
    ['an APQ version that does not exist', { query: '{ ping }', extensions: { persistedQuery: { version: 2, sha256Hash: 'a'.repeat(64) } } }, 400, 'BAD_REQUEST', /version/],
  ])('%s → 400 with a code that names the mistake', async (_case, body, status, code, message) => {
    const answer = await post(router.url, body);
    expectRefused(answer, status, code);
    expect(answer.errors![0].message).toMatch(message);
  });

  test('GET /%zz (not percent-encoding) → 400 BAD_REQUEST', async () => {
    const response = await fetch(router.url.replace('/graphql', '/%zz'), { headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Answer).errors![0].extensions!.code).toBe('BAD_REQUEST');
  });

  test.each([
    ['with a Content-Length', () => 'x'.repeat(5 * 1024 * 1024)],
    ['streamed without a length', () => new Blob(['x'.repeat(5 * 1024 * 1024)]).stream()],
  ])('a 5 MB body %s → 413 PAYLOAD_TOO_LARGE with the limit, not a reset connection', async (_case, body) => {
    const response = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(), duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    const answer = (await response.json()) as Answer;
    expect(answer.errors![0].extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', limit: 256 * 1024 });
    expect((await post(router.url, { query: '{ ping }' })).data).toEqual({ ping: 'pong' });
  });

  test('in production /metrics is not on the public port, only on METRICS_PORT', async () => {
    expect((await fetch(router.url.replace('/graphql', '/metrics'))).status).toBe(404);
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/graphql_request_duration_seconds/);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/graphql`)).status).toBe(404);
  });
});
