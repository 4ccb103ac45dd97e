import { createHash } from 'node:crypto';
import { bearer, post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { LOG_IN, SIGN_UP, signUp, signUpAdmin, uniqueEmail, type SignedIn } from '@dorandoran/test-support/users';
import { eventually } from '@dorandoran/test-support/ws';

/**
 * The router's GraphQL-level budgets over the real supergraph: auth operations per client IP,
 * operations per signed-in user, and (with Redis) one user budget shared by two router instances.
 */

const ME = '{ me { id } }';

/** The X-Forwarded-For the one trusted proxy (TRUST_PROXY_HOPS=1) would write for this client. */
const from = (ip: string) => ({ 'x-forwarded-for': ip });

/** 429 RATE_LIMITED for this budget, with a Retry-After in whole seconds that matches the body. */
function expectLimited(response: GraphQLResponse, budget: 'auth' | 'user' | 'ip') {
  expect(response.status).toBe(429);
  expect(response.data ?? null).toBeNull();
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', budget });
  const retryAfter = response.headers.get('retry-after');
  expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
  expect(response.errors![0].extensions!.retryAfter).toBe(Number(retryAfter));
}

const me = (url: string, user: SignedIn, headers: Record<string, string> = {}) => post(url, ME, {}, { ...user.headers, ...headers });

function expectMe(response: GraphQLResponse, user: SignedIn) {
  expect(response.errors).toBeUndefined();
  expect(response.status).toBe(200);
  expect(response.data).toEqual({ me: { id: user.id } });
}

describe('one router: auth operations per IP (RATE_LIMIT_AUTH=3), operations per user (RATE_LIMIT_USER=4)', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Behind one proxy, so that each test's client has an address (and budgets) of its own.
    stack = await startStack({ RATE_LIMIT_AUTH: '3', RATE_LIMIT_USER: '4', TRUST_PROXY_HOPS: '1' });
  });
  afterAll(() => stack?.close());

  /** Signs up through the router from `ip` (one auth operation from that address). */
  async function signUpFrom(ip: string, nickname: string): Promise<SignedIn> {
    const input = { email: uniqueEmail(nickname.toLowerCase()), password: 'correct horse 42', nickname };
    const response = await post(stack.routerUrl, SIGN_UP, { input }, from(ip));
    if (!response.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(response.errors)}`);
    const { accessToken, refreshToken, user } = response.data.signUp;
    return { id: user.id, ...input, accessToken, refreshToken, headers: bearer(accessToken) };
  }

  test('the 4th logIn from one IP → 429 budget "auth"; signed-in operations and other addresses still pass', async () => {
    const user = await signUpFrom('10.1.0.1', 'Mina');
    const logIn = (ip: string) => post(stack.routerUrl, LOG_IN, { email: user.email, password: user.password }, from(ip));
    let token = '';
    for (let i = 0; i < 3; i++) {
      const response = await logIn('10.1.0.2');
      expect(response.errors).toBeUndefined();
      expect(response.data!.logIn.user.id).toBe(user.id);
      token = response.data!.logIn.accessToken;
    }
    expectLimited(await logIn('10.1.0.2'), 'auth');
    // The other auth operations spend the same budget.
    expectLimited(await post(stack.routerUrl, SIGN_UP, { input: { email: uniqueEmail(), password: 'correct horse 42', nickname: 'Jun' } }, from('10.1.0.2')), 'auth');
    expectLimited(await post(stack.routerUrl, 'mutation($email: String!) { requestPasswordReset(email: $email) }', { email: user.email }, from('10.1.0.2')), 'auth');
    // Not an auth operation: the signed-in client on that address goes on.
    expectMe(await post(stack.routerUrl, ME, {}, { ...bearer(token), ...from('10.1.0.2') }), user);
    // Another address has its own auth budget.
    expect((await logIn('10.1.0.3')).data!.logIn.user.id).toBe(user.id);
  });

  test('the 5th operation of one user → 429 budget "user"; another user, on the same address, still passes', async () => {
    const mina = await signUpFrom('10.2.0.1', 'Mina');
    const jun = await signUpFrom('10.2.0.2', 'Jun');
    for (let i = 0; i < 4; i++) expectMe(await me(stack.routerUrl, mina, from('10.2.0.1')), mina);
    expectLimited(await me(stack.routerUrl, mina, from('10.2.0.1')), 'user');
    // The budget is the account's, wherever it calls from.
    expectLimited(await me(stack.routerUrl, mina, from('10.2.0.9')), 'user');
    expectMe(await me(stack.routerUrl, jun, from('10.2.0.1')), jun);
    // Signed out, the same address is not held to that user's budget.
    expect((await post(stack.routerUrl, '{ __typename }', {}, from('10.2.0.1'))).data).toEqual({ __typename: 'Query' });
  });
});

describe('the batch service has a budget of its own (RATE_LIMIT_AUTH=3, RATE_LIMIT_IP=30)', () => {
  let stack: Stack;
  let admin: SignedIn;
  let person: SignedIn;
  beforeAll(async () => {
    // Behind one proxy: the test's people speak from addresses of their own (X-Forwarded-For) or,
    // without the header, from 127.0.0.1 — the address the batch service calls the router from.
    stack = await startStack({ RATE_LIMIT_AUTH: '3', RATE_LIMIT_IP: '30', TRUST_PROXY_HOPS: '1', ABANDONED_ORDER_MINUTES: '0' });
    admin = await signUpAdmin(stack);
    person = await signUp(stack, { nickname: 'Jun' });
  });
  afterAll(() => stack?.close());

  // A new address for each of the administrator's requests: polling a run must not spend a small request budget.
  let adminRequests = 0;
  const asAdmin = (query: string, variables: Record<string, unknown> = {}) => {
    adminRequests += 1;
    return post(stack.routerUrl, query, variables, { ...admin.headers, ...from(`10.6.${adminRequests >> 8}.${adminRequests & 255}`) });
  };

  /** Runs the job as the administrator (from an address of its own) and waits for the run's end. */
  async function runJob(name: string): Promise<{ status: string; error: string | null }> {
    const queued = await asAdmin('mutation($name: String!) { runJob(name: $name) { id } }', { name });
    expect(queued.errors).toBeUndefined();
    const runId = queued.data!.runJob.id;
    let run: { id: string; status: string; error: string | null } | undefined;
    await eventually(async () => {
      const runs = await asAdmin('query($job: String) { jobRuns(job: $job, first: 10) { edges { node { id status error } } } }', { job: name });
      run = runs.data!.jobRuns.edges.map((edge: { node: { id: string; status: string; error: string | null } }) => edge.node).find((node: { id: string }) => node.id === runId);
      return run?.status === 'SUCCEEDED' || run?.status === 'FAILED';
    }, `the ${name} run finished`, 30_000);
    return { status: run!.status, error: run!.error };
  }

  test('people spend the sign-in and the request budgets of the batch service’s address; its jobs still sign in and run', async () => {
    // People's sign-ins from 127.0.0.1 (unknown emails: each its own lockout) use up the address's auth budget…
    let refused: GraphQLResponse | undefined;
    for (let i = 0; i < 4 && !refused; i++) {
      const response = await post(stack.routerUrl, LOG_IN, { email: uniqueEmail('guess'), password: 'not the password 1' });
      if (response.status === 429) refused = response;
    }
    expectLimited(refused!, 'auth');
    // …and their requests its request budget.
    let limited: GraphQLResponse | undefined;
    for (let i = 0; i < 31 && !limited; i++) {
      const response = await post(stack.routerUrl, '{ __typename }', {});
      if (response.status === 429) limited = response;
    }
    expectLimited(limited!, 'ip');
    // The batch service, not yet signed in, signs in at auth itself (never through the router) and
    // calls store's maintenance mutation through the router from 127.0.0.1 on its own budget.
    expect(await runJob('abandoned-orders')).toEqual({ status: 'SUCCEEDED', error: null });
    expect(await runJob('session-cleanup')).toEqual({ status: 'SUCCEEDED', error: null });
    // The address is still out of budget for people.
    expectLimited(await post(stack.routerUrl, '{ __typename }', {}), 'ip');
  });

  test('a user’s token, or a forged one that claims scope "service", spends the address’s budget', async () => {
    // An address with a budget of its own, spent with the person's token.
    for (let i = 0; i < 30; i++) expect((await post(stack.routerUrl, '{ __typename }', {}, { ...person.headers, ...from('10.5.0.4') })).status).toBe(200);
    expectLimited(await post(stack.routerUrl, '{ __typename }', {}, { ...person.headers, ...from('10.5.0.4') }), 'ip');
    // An unsigned token that says scope "service" is not believed: the address's budget, spent, refuses it.
    const claims = Buffer.from(JSON.stringify({ sub: person.id, scope: 'service', sid: 'x', jti: 'y', iat: 1, exp: 4102444800 })).toString('base64url');
    const forged = `Bearer eyJhbGciOiJFUzI1NiJ9.${claims}.c2lnbmF0dXJl`;
    expectLimited(await post(stack.routerUrl, '{ __typename }', {}, { authorization: forged, ...from('10.5.0.4') }), 'ip');
  });
});

/** Two router instances share budgets only through Redis; in memory each counts its own. */
const withRedis = process.env.REDIS_URL ? test : test.skip;

describe('two routers on one Redis (RATE_LIMIT_USER=4)', () => {
  let stack: Stack;
  let routerB: string;
  let mina: SignedIn;
  let jun: SignedIn;
  beforeAll(async () => {
    stack = await startStack({ RATE_LIMIT_USER: '4' });
    routerB = (await stack.startRouter()).url;
    mina = await signUp(stack, { nickname: 'Mina' });
    jun = await signUp(stack, { nickname: 'Jun' });
  });
  afterAll(() => stack?.close());

  withRedis('2 operations on router A and 2 on router B spend the whole budget: the 5th, on either, → 429 budget "user"', async () => {
    const routerA = stack.routerUrl;
    expect(routerB).not.toBe(routerA);
    for (const url of [routerA, routerA, routerB, routerB]) expectMe(await me(url, mina), mina);
    expectLimited(await me(routerA, mina), 'user');
    expectLimited(await me(routerB, mina), 'user');
    // Another user's budget is untouched on both.
    expectMe(await me(routerB, jun), jun);
    expectMe(await me(routerA, jun), jun);
  });

  withRedis('a query persisted (APQ) on router A runs by its hash alone on router B', async () => {
    // Signed out: the users above have spent their budgets.
    const query = 'query Hello { __typename }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    const send = async (url: string, body: Record<string, unknown>) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    };
    expect((await send(routerB, { extensions: { persistedQuery } })).errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await send(stack.routerUrl, { query, extensions: { persistedQuery } })).data).toEqual({ __typename: 'Query' });
    // Apollo Server stores the query without waiting for Redis to confirm: allow it that moment.
    await eventually(async () => (await send(routerB, { extensions: { persistedQuery } })).errors === undefined, 'the hash known on router B', 2000);
    expect((await send(routerB, { extensions: { persistedQuery } })).data).toEqual({ __typename: 'Query' });
  });
});
