import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestIdentity } from '@dorandoran/service-kit';
import { startTestIssuer, type TestIssuer } from '@dorandoran/test-support/issuer';
import { startTestRouter, type TestSubgraph } from './helpers/router';

/**
 * Identical queries under way at once share one execution (and identical subgraph fetches one
 * call), but only between the same caller, never for mutations; a shared failure reaches everyone
 * who waited, and a caller that goes away cancels nothing for the others. The subgraphs hold their
 * answers until the test has seen the second request join (the router's deduplicated_requests_total).
 */

type TestRouter = Awaited<ReturnType<typeof startTestRouter>>;
interface Answer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
}

/** Resolvers that wait here until the test releases them. */
const held: (() => void)[] = [];
let resolverCalls = 0;
let bumps = 0;
const hold = async () => {
  resolverCalls++;
  await new Promise<void>((resolve) => held.push(resolve));
};
const releaseAll = () => held.splice(0).forEach((release) => release());

const SHOP: TestSubgraph = {
  name: 'shop',
  typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@requiresScopes"])
type Query {
  greeting(name: String): String
  viewerName: String
  secret: String @requiresScopes(scopes: [["admin"]])
}
type Mutation { bump: Int }`,
  context: (identity: RequestIdentity) => identity,
  resolvers: {
    Query: {
      greeting: async (_: unknown, { name }: { name?: string }) => {
        await hold();
        return `hello ${name ?? 'you'}`;
      },
      viewerName: async (_: unknown, _args: unknown, identity: RequestIdentity) => {
        await hold();
        return identity.viewer?.userId ?? 'anonymous';
      },
      secret: () => 's3cret',
    },
    Mutation: {
      bump: async () => {
        await hold();
        return ++bumps;
      },
    },
  },
};

/** Waits (up to 10 s, then fails) until `condition` holds. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 20) {
    if (waited > 10_000) throw new Error(`never happened: ${what}`);
    await sleep(20);
  }
}

/** How many requests of `level` (operation, subgraph) shared one under way, from the router's /metrics. */
async function shared(router: TestRouter, level: 'operation' | 'subgraph'): Promise<number> {
  const text = await (await fetch(router.url.replace(/\/graphql$/, '/metrics'))).text();
  const match = new RegExp(`^deduplicated_requests_total\\{[^}]*level="${level}"[^}]*\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function post(router: TestRouter, query: string, options: { token?: string; variables?: Record<string, unknown>; signal?: AbortSignal } = {}): Promise<Answer> {
  const response = await fetch(router.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
    body: JSON.stringify({ query, variables: options.variables ?? {} }),
    signal: options.signal,
  });
  return { status: response.status, ...((await response.json()) as Omit<Answer, 'status'>) };
}

describe('inbound deduplication through a real router and subgraph', () => {
  let issuer: TestIssuer;
  let router: TestRouter;
  beforeAll(async () => {
    issuer = await startTestIssuer();
    router = await startTestRouter([SHOP], { jwksUrl: issuer.jwksUrl, env: { RATE_LIMIT_USER: '3' } });
  });
  afterAll(async () => {
    releaseAll();
    await router?.dispose();
    await issuer?.close();
  });
  beforeEach(() => {
    resolverCalls = 0;
  });
  afterEach(releaseAll);

  /** Sends `second` once `first` is held at the subgraph, and waits until `second` joined it. */
  async function joinUnderWay<T, U>(first: () => Promise<T>, second: () => Promise<U>): Promise<[Promise<T>, Promise<U>]> {
    const before = await shared(router, 'operation');
    const one = first();
    await until(() => held.length === 1, 'the first request reached the subgraph');
    const two = second();
    await until(async () => (await shared(router, 'operation')) === before + 1, 'the second request joined the first');
    return [one, two];
  }

  test('the same query from the same caller at the same time: one execution, the same answer for both', async () => {
    const ask = () => post(router, 'query Greet($name: String) { greeting(name: $name) }', { variables: { name: 'mina' } });
    const [one, two] = await joinUnderWay(ask, ask);
    releaseAll();
    expect(await one).toEqual({ status: 200, data: { greeting: 'hello mina' } });
    expect(await two).toEqual({ status: 200, data: { greeting: 'hello mina' } });
    expect(resolverCalls).toBe(1);
  });

  test('a shared partial answer is the same text for both, errors before data, as Apollo Server writes any answer', async () => {
    const ask = async () => {
      const response = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ greeting(name: "both") secret }' }) });
      return response.text();
    };
    const [one, two] = await joinUnderWay(ask, ask);
    releaseAll();
    const [first, second] = [await one, await two];
    expect(second).toBe(first);
    const parsed = JSON.parse(first) as Answer;
    expect(Object.keys(parsed)).toEqual(['errors', 'data']);
    expect(parsed.data).toEqual({ greeting: 'hello both', secret: null });
    expect(parsed.errors).toEqual([expect.objectContaining({ path: ['secret'], extensions: expect.objectContaining({ code: 'UNAUTHORIZED_FIELD_OR_TYPE' }) })]);
    expect(first).toBe(`${JSON.stringify(parsed)}\n`);
  });

  test('different variables are different operations: each runs', async () => {
    const one = post(router, 'query Greet($name: String) { greeting(name: $name) }', { variables: { name: 'mina' } });
    const two = post(router, 'query Greet($name: String) { greeting(name: $name) }', { variables: { name: 'jun' } });
    await until(() => held.length === 2, 'both requests reached the subgraph');
    releaseAll();
    expect((await one).data).toEqual({ greeting: 'hello mina' });
    expect((await two).data).toEqual({ greeting: 'hello jun' });
  });

  test('two viewers with different rights asking the same query at the same time never share', async () => {
    const admin = await issuer.sign({ sub: 'admin-1', scope: 'user admin' });
    const user = await issuer.sign({ sub: 'user-1', scope: 'user' });
    const query = '{ viewerName secret }';
    const asAdmin = post(router, query, { token: admin });
    const asUser = post(router, query, { token: user });
    // Shared, only one would ever reach the subgraph.
    await until(() => held.length === 2, 'both viewers’ requests reached the subgraph');
    releaseAll();
    expect(await asAdmin).toEqual({ status: 200, data: { viewerName: 'admin-1', secret: 's3cret' } });
    const forUser = await asUser;
    expect(forUser.data).toEqual({ viewerName: 'user-1', secret: null });
    expect(forUser.errors).toEqual([expect.objectContaining({ path: ['secret'], extensions: expect.objectContaining({ code: 'UNAUTHORIZED_FIELD_OR_TYPE' }) })]);
    expect(resolverCalls).toBe(2);
  });

  test('two users with the same rights never share either: each gets their own answer', async () => {
    const mina = await issuer.sign({ sub: 'mina', scope: 'user' });
    const jun = await issuer.sign({ sub: 'jun', scope: 'user' });
    const asMina = post(router, '{ viewerName }', { token: mina });
    const asJun = post(router, '{ viewerName }', { token: jun });
    await until(() => held.length === 2, 'both users’ requests reached the subgraph');
    releaseAll();
    expect((await asMina).data).toEqual({ viewerName: 'mina' });
    expect((await asJun).data).toEqual({ viewerName: 'jun' });
  });

  test('a mutation is never shared: the same one twice at once runs twice', async () => {
    const one = post(router, 'mutation { bump }');
    const two = post(router, 'mutation { bump }');
    await until(() => held.length === 2, 'both mutations reached the subgraph');
    releaseAll();
    const values = [(await one).data?.bump as number, (await two).data?.bump as number].sort((a, b) => a - b);
    expect(values).toEqual([bumps - 1, bumps]);
    expect(resolverCalls).toBe(2);
  });

  test('the caller that started the execution goes away: the one that joined still gets the answer', async () => {
    const leaving = new AbortController();
    const [first, second] = await joinUnderWay(
      () => post(router, '{ greeting(name: "leaver") }', { signal: leaving.signal }),
      () => post(router, '{ greeting(name: "leaver") }'),
    );
    leaving.abort();
    await expect(first).rejects.toThrow();
    releaseAll();
    expect(await second).toEqual({ status: 200, data: { greeting: 'hello leaver' } });
  });

  test('a caller that joined goes away: the one that started still gets the answer', async () => {
    const leaving = new AbortController();
    const [first, second] = await joinUnderWay(
      () => post(router, '{ greeting(name: "stayer") }'),
      () => post(router, '{ greeting(name: "stayer") }', { signal: leaving.signal }),
    );
    leaving.abort();
    await expect(second).rejects.toThrow();
    releaseAll();
    expect(await first).toEqual({ status: 200, data: { greeting: 'hello stayer' } });
  });

  test('every request spends the budget, shared or not: the fourth of three allowed is refused', async () => {
    const token = await issuer.sign({ sub: 'budgeted', scope: 'user' });
    const ask = () => post(router, '{ viewerName }', { token });
    const [one, two] = await joinUnderWay(ask, ask);
    releaseAll();
    expect((await one).data).toEqual({ viewerName: 'budgeted' });
    expect((await two).data).toEqual({ viewerName: 'budgeted' });
    expect(resolverCalls).toBe(1);
    const third = ask();
    await until(() => held.length === 1, 'the third request reached the subgraph');
    releaseAll();
    expect((await third).data).toEqual({ viewerName: 'budgeted' });
    const fourth = await ask();
    expect(fourth.status).toBe(429);
    expect(fourth.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('with DEDUPLICATE_QUERIES=false', () => {
  let router: TestRouter;
  beforeAll(async () => {
    router = await startTestRouter([SHOP], { env: { DEDUPLICATE_QUERIES: 'false' } });
  });
  afterAll(async () => {
    releaseAll();
    await router?.dispose();
  });

  test('the same query twice at once runs twice', async () => {
    resolverCalls = 0;
    const one = post(router, '{ greeting(name: "twice") }');
    const two = post(router, '{ greeting(name: "twice") }');
    await until(() => held.length === 2, 'both requests reached the subgraph');
    releaseAll();
    expect((await one).data).toEqual({ greeting: 'hello twice' });
    expect((await two).data).toEqual({ greeting: 'hello twice' });
    expect(resolverCalls).toBe(2);
    expect(await shared(router, 'operation')).toBe(0);
  });
});

/**
 * Subgraph fetches: two different client operations (here the same query written with different
 * spacing, so they are not shared as operations) that plan the same fetch share one call. A
 * stand-in for the subgraph holds each request until the test answers it or drops its connection.
 */
describe('subgraph fetch deduplication', () => {
  const CLOCK: TestSubgraph = {
    name: 'clock',
    typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { now: String }
type Mutation { tick: String }`,
    resolvers: { Query: { now: () => 'noon' }, Mutation: { tick: () => 'tock' } },
  };
  let issuer: TestIssuer;
  let router: TestRouter;
  let standIn: Server | undefined;
  /** Requests the stand-in holds, with their bodies and Authorization headers. */
  const waiting: { body: string; authorization?: string; res: ServerResponse }[] = [];

  beforeAll(async () => {
    issuer = await startTestIssuer();
    router = await startTestRouter([CLOCK], { jwksUrl: issuer.jwksUrl });
    const port = Number(new URL(router.subgraphUrls[0]).port);
    await router.stopSubgraph(0);
    standIn = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => waiting.push({ body, authorization: req.headers.authorization, res }));
    });
    await new Promise<void>((resolve) => standIn!.listen(port, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const { res } of waiting.splice(0)) res.destroy();
    standIn?.closeAllConnections();
    await new Promise((resolve) => standIn?.close(resolve));
    await router?.dispose();
    await issuer?.close();
  });

  const answerAll = (data: Record<string, unknown>) => {
    for (const { res } of waiting.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
  };

  test('the same fetch for two operations at once: one call, both answered', async () => {
    const before = await shared(router, 'subgraph');
    const one = post(router, '{ now }');
    await until(() => waiting.length === 1, 'the first fetch reached the subgraph');
    const two = post(router, '{  now  }');
    await until(async () => (await shared(router, 'subgraph')) === before + 1, 'the second fetch joined the first');
    expect(waiting).toHaveLength(1);
    answerAll({ now: 'noon' });
    expect(await one).toEqual({ status: 200, data: { now: 'noon' } });
    expect(await two).toEqual({ status: 200, data: { now: 'noon' } });
  });

  test('a shared fetch that fails fails every waiter with SERVICE_UNAVAILABLE naming the subgraph', async () => {
    const before = await shared(router, 'subgraph');
    const one = post(router, '{ now }');
    await until(() => waiting.length === 1, 'the first fetch reached the subgraph');
    const two = post(router, '{   now }');
    await until(async () => (await shared(router, 'subgraph')) === before + 1, 'the second fetch joined the first');
    for (const { res } of waiting.splice(0)) res.socket!.destroy();
    for (const answer of [await one, await two]) {
      expect(answer.status).toBe(503);
      expect(answer.data).toEqual({ now: null });
      expect(answer.errors).toEqual([
        expect.objectContaining({ path: ['now'], extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', subgraph: 'clock' }) }),
      ]);
    }
  });

  test('different callers never share a fetch: each token reaches the subgraph with its own call', async () => {
    const mina = await issuer.sign({ sub: 'mina' });
    const jun = await issuer.sign({ sub: 'jun' });
    const one = post(router, '{ now }', { token: mina });
    const two = post(router, '{ now }', { token: jun });
    await until(() => waiting.length === 2, 'both fetches reached the subgraph');
    expect(waiting.map((request) => request.authorization).sort()).toEqual([`Bearer ${jun}`, `Bearer ${mina}`].sort());
    answerAll({ now: 'noon' });
    expect((await one).data).toEqual({ now: 'noon' });
    expect((await two).data).toEqual({ now: 'noon' });
  });

  test('a mutation fetch is never shared', async () => {
    const one = post(router, 'mutation { tick }');
    const two = post(router, 'mutation {  tick }');
    await until(() => waiting.length === 2, 'both mutation fetches reached the subgraph');
    expect(waiting.every((request) => request.body.includes('mutation'))).toBe(true);
    answerAll({ tick: 'tock' });
    expect((await one).data).toEqual({ tick: 'tock' });
    expect((await two).data).toEqual({ tick: 'tock' });
  });
});
