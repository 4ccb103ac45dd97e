import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROUTER_SECRET_HEADER, SERVICE_ACCOUNT_EMAIL, SERVICE_SIGN_IN_HEADER } from '@dorandoran/service-kit';
import { bearer, post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';
import { eventually } from '@dorandoran/test-support/ws';

/** The batch subgraph's jobs, run through the router as an administrator would. */
let stack: Stack;
let admin: SignedIn;
beforeAll(async () => {
  stack = await startStack({ ABANDONED_ORDER_MINUTES: '0', BATCH_JOB_RETRY_LIMIT: '1', BATCH_JOB_RETRY_DELAY_SECONDS: '1' });
  admin = await signUpAdmin(stack);
});
afterAll(() => stack?.close());

const gql = (query: string, variables: Record<string, unknown> = {}, person?: SignedIn): Promise<GraphQLResponse> =>
  post(stack.routerUrl, query, variables, person?.headers ?? {});

const RUN_FIELDS = 'id job status trigger attempt queuedAt startedAt finishedAt result error';
const runJob = async (name: string) => {
  const response = await gql(`mutation($name: String!) { runJob(name: $name) { ${RUN_FIELDS} } }`, { name }, admin);
  if (!response.data?.runJob) throw new Error(JSON.stringify(response.errors));
  return response.data.runJob;
};
const runsOf = async (job: string) =>
  (await gql(`query($job: String) { jobRuns(job: $job, first: 50) { edges { node { ${RUN_FIELDS} } } } }`, { job }, admin)).data!.jobRuns.edges.map(
    (edge: { node: Record<string, unknown> }) => edge.node,
  );
/** Waits until the run is finished, and answers it. */
async function finished(runId: string, job: string) {
  let run: Record<string, unknown> | undefined;
  await eventually(async () => {
    run = (await runsOf(job)).find((candidate: { id: string }) => candidate.id === runId);
    return run?.status === 'SUCCEEDED' || run?.status === 'FAILED';
  }, `run ${runId} of ${job} finished`, 15_000);
  return run!;
}

test('jobs lists every job with its schedule in Asia/Seoul, and only administrators see them', async () => {
  const response = await gql('{ jobs { name description schedule timeZone enabled nextRunAt } }', {}, admin);
  expect(response.errors).toBeUndefined();
  const jobs = response.data!.jobs;
  expect(jobs.map((job: { name: string }) => job.name)).toEqual(['session-cleanup', 'dormant-accounts', 'abandoned-orders', 'message-archive', 'daily-report']);
  for (const job of jobs) {
    expect(job).toMatchObject({ timeZone: 'Asia/Seoul', enabled: true, description: expect.any(String) });
    expect(new Date(job.nextRunAt).getTime()).toBeGreaterThan(Date.now());
  }
  expect(jobs.find((job: { name: string }) => job.name === 'session-cleanup').schedule).toBe('0 3 * * *');

  const user = await signUp(stack);
  for (const person of [user, undefined]) {
    expect((await gql('{ jobs { name } }', {}, person)).errors![0].extensions!.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect((await gql('mutation { runJob(name: "session-cleanup") { id } }', {}, person)).errors![0].extensions!.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect((await gql('mutation { purgeEndedSessions }', {}, person)).errors![0].extensions!.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  }
});

const LOG_IN = 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken user { roles } } }';
const servicePassword = async () => (await readFile(path.join(stack.env.DATA_DIR, 'service-account-password'), 'utf8')).trim();
/** As the batch service signs in: at auth itself, with the router secret and the service sign-in header. */
const serviceSignIn = async () =>
  post(stack.authUrl, LOG_IN, { e: SERVICE_ACCOUNT_EMAIL, p: await servicePassword() }, { [ROUTER_SECRET_HEADER]: stack.routerSecret, [SERVICE_SIGN_IN_HEADER]: '1' });

test('the batch service’s account may run maintenance and nothing an administrator or a user may', async () => {
  const signedIn = await serviceSignIn();
  expect(signedIn.data!.logIn.user.roles).toEqual(['SERVICE']);
  const service = { headers: bearer(signedIn.data!.logIn.accessToken) } as SignedIn;
  expect((await gql('mutation { purgeEndedSessions }', {}, service)).data).toEqual({ purgeEndedSessions: expect.any(Number) });
  for (const query of ['{ users { totalCount } }', '{ jobs { name } }', 'mutation { runJob(name: "daily-report") { id } }', '{ chatRooms { edges { cursor } } }']) {
    expect((await gql(query, {}, service)).errors![0].extensions!.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  }
  const roles = await gql('mutation($id: ID!) { setUserRoles(userId: $id, roles: [USER, SERVICE]) { id } }', { id: admin.id }, admin);
  expect(roles.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
});

test('the batch service’s account cannot sign in through the router, even with its password, and guesses there never lock it', async () => {
  const refused = await gql(LOG_IN, { e: SERVICE_ACCOUNT_EMAIL, p: await servicePassword() });
  expect(refused.data).toBeNull();
  expect(refused.errors![0].extensions!.code).toBe('FORBIDDEN');
  expect(refused.errors![0].message).toMatch(/batch service.*never through the router/);
  // More wrong guesses than auth's lockout allows, spelled as auth would normalise them.
  for (let i = 0; i < 7; i++) {
    const guess = await gql(LOG_IN, { e: ` ${SERVICE_ACCOUNT_EMAIL.toUpperCase()} `, p: `guess number ${i}` });
    expect(guess.errors![0].extensions!.code).toBe('FORBIDDEN');
  }
  // Inside the deployment the account still signs in, and its jobs run.
  expect((await serviceSignIn()).data!.logIn.user.roles).toEqual(['SERVICE']);
  expect((await finished((await runJob('session-cleanup')).id, 'session-cleanup')).status).toBe('SUCCEEDED');
});

test('runJob queues a run that the engine takes through RUNNING to SUCCEEDED, signed in as the batch service', async () => {
  const queued = await runJob('session-cleanup');
  expect(queued).toMatchObject({ job: 'session-cleanup', status: 'QUEUED', trigger: 'MANUAL', attempt: 1, startedAt: null });
  const run = await finished(queued.id, 'session-cleanup');
  expect(run).toMatchObject({ status: 'SUCCEEDED', error: null, result: { sessionsRemoved: expect.any(Number) } });
  expect(new Date(run.finishedAt as string).getTime()).toBeGreaterThanOrEqual(new Date(run.startedAt as string).getTime());
  const jobs = (await gql('{ jobs { name lastRun { id status } } }', {}, admin)).data!.jobs;
  expect(jobs.find((job: { name: string }) => job.name === 'session-cleanup').lastRun).toEqual({ id: queued.id, status: 'SUCCEEDED' });

  for (const [name, result] of [['dormant-accounts', { markedDormant: 0 }], ['message-archive', { archived: 0 }]] as const) {
    expect(await finished((await runJob(name)).id, name)).toMatchObject({ status: 'SUCCEEDED', result });
  }
});

test('abandoned-orders cancels unpaid orders through store, with their stock back', async () => {
  const buyer = await signUp(stack);
  const productId = (await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { name: 'Barley tea', price: 3000, stock: 5, category: 'tea' } }, admin)).data!.createProduct.id;
  const orderId = (await gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId, quantity: 2 }], idempotencyKey: randomUUID() } }, buyer)).data!.placeOrder.id;

  const run = await finished((await runJob('abandoned-orders')).id, 'abandoned-orders');
  expect(run).toMatchObject({ status: 'SUCCEEDED', result: { cancelled: 1 } });
  const order = (await gql('query($id: ID!) { order(id: $id) { status history { to actorRole } } }', { id: orderId }, buyer)).data!.order;
  expect(order.status).toBe('CANCELLED');
  expect(order.history.at(-1)).toEqual({ to: 'CANCELLED', actorRole: 'SYSTEM' });
  expect((await gql('query($id: ID!) { product(id: $id) { stock } }', { id: productId })).data!.product.stock).toBe(5);
});

test('setJobEnabled turns the schedule off and on; an unknown job is NOT_FOUND', async () => {
  const SET = 'mutation($name: String!, $enabled: Boolean!) { setJobEnabled(name: $name, enabled: $enabled) { name enabled nextRunAt } }';
  expect((await gql(SET, { name: 'daily-report', enabled: false }, admin)).data!.setJobEnabled).toEqual({ name: 'daily-report', enabled: false, nextRunAt: null });
  const listed = (await gql('{ jobs { name enabled } }', {}, admin)).data!.jobs;
  expect(listed.find((job: { name: string }) => job.name === 'daily-report').enabled).toBe(false);
  const on = (await gql(SET, { name: 'daily-report', enabled: true }, admin)).data!.setJobEnabled;
  expect(on.enabled).toBe(true);
  expect(on.nextRunAt).not.toBeNull();

  const unknown = await gql('mutation { runJob(name: "make-coffee") { id } }', {}, admin);
  expect(unknown.errors![0].extensions!.code).toBe('NOT_FOUND');
  expect((await gql(SET, { name: 'make-coffee', enabled: true }, admin)).errors![0].extensions!.code).toBe('NOT_FOUND');
});

test('a job whose owner is down records FAILED with the error, and is retried as attempt 2', async () => {
  await stack.stopService('store');
  const queued = await runJob('abandoned-orders');
  let runs: Record<string, unknown>[] = [];
  await eventually(async () => {
    runs = (await runsOf('abandoned-orders')).filter((run: { status: string; createdAt?: string }) => run.status === 'FAILED');
    return runs.filter((run) => run.id === queued.id || (run.attempt === 2 && new Date(run.queuedAt as string) >= new Date(queued.queuedAt))).length === 2;
  }, 'both attempts failed', 20_000);
  const first = runs.find((run) => run.id === queued.id)!;
  const retry = runs.find((run) => run.attempt === 2)!;
  expect(first).toMatchObject({ status: 'FAILED', trigger: 'MANUAL', attempt: 1, error: expect.stringMatching(/SERVICE_UNAVAILABLE.*store/) });
  expect(retry).toMatchObject({ status: 'FAILED', trigger: 'MANUAL', attempt: 2, error: expect.stringMatching(/SERVICE_UNAVAILABLE/) });
});

const withServerDatabase = process.env.DATABASE_URL ? test : test.skip;

withServerDatabase('three batch instances on one database run each scheduled tick once', async () => {
  // Every minute, checked every second: a tick comes within a minute.
  const everyMinute = { BATCH_SCHEDULE_DAILY_REPORT: '* * * * *', BATCH_CRON_CHECK_SECONDS: '1' };
  await stack.startBatch(everyMinute);
  await stack.startBatch(everyMinute);
  const scheduled = async () => (await runsOf('daily-report')).filter((run: { trigger: string }) => run.trigger === 'SCHEDULE');
  await eventually(async () => (await scheduled()).length > 0 && (await scheduled()).every((run: { status: string }) => run.status === 'SUCCEEDED'), 'a scheduled run', 75_000);
  await new Promise((resolve) => setTimeout(resolve, 4000)); // every instance has checked the schedule a few more times
  const runs = await scheduled();
  const minutes = runs.map((run: { queuedAt: string }) => run.queuedAt.slice(0, 16));
  expect(new Set(minutes).size).toBe(runs.length); // one run per minute tick
  expect(runs[0]).toMatchObject({ status: 'SUCCEEDED', attempt: 1, result: { date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) } });
}, 120_000);
