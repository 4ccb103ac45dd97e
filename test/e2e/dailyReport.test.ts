import { randomUUID } from 'node:crypto';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { LOG_IN, signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';
import { eventually } from '@dorandoran/test-support/ws';

/** A scripted day on a fresh stack: dailyReport must count exactly what happened, from the events batch consumed. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

const gql = (query: string, variables: Record<string, unknown> = {}, person?: SignedIn): Promise<GraphQLResponse> =>
  post(stack.routerUrl, query, variables, person?.headers ?? {});

const seoulDate = (daysFromToday = 0) => {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const day = new Date(`${today}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + daysFromToday);
  return day.toISOString().slice(0, 10);
};

const REPORT = 'query($date: Date!) { dailyReport(date: $date) { date newUsers activeUsers messagesSent ordersPlaced ordersPaid revenue { amount currency } } }';

test('a scripted day of activity gives exactly its numbers in dailyReport (Asia/Seoul day)', async () => {
  const admin = await signUpAdmin(stack); // signs up, then signs in again as an administrator
  const [mina, joon, sora] = [await signUp(stack, { nickname: 'Mina' }), await signUp(stack, { nickname: 'Joon' }), await signUp(stack, { nickname: 'Sora' })];
  await post(stack.routerUrl, LOG_IN, { email: mina.email, password: mina.password });

  const room = (await gql('mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'GROUP', title: 'Tea', memberIds: [joon.id, sora.id] } }, mina)).data!.createChatRoom.id;
  for (const [person, text] of [[mina, 'hello'], [mina, 'anyone?'], [joon, 'hi!']] as const) {
    expect((await gql('mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { roomId: room, text, clientMessageId: randomUUID() } }, person)).errors).toBeUndefined();
  }

  const productId = (await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { name: 'Yuja tea', price: 5000, stock: 10, category: 'tea' } }, admin)).data!.createProduct.id;
  const place = async (person: SignedIn, quantity: number) =>
    (await gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId, quantity }], idempotencyKey: randomUUID() } }, person)).data!.placeOrder.id;
  const joonsOrder = await place(joon, 2);
  await place(sora, 1);
  const paid = await gql('mutation($input: PayOrderInput!) { payOrder(input: $input) { status } }', { input: { orderId: joonsOrder, paymentKey: 'sandbox-card-approve', amount: 10000 } }, joon);
  expect(paid.data!.payOrder.status).toBe('PAID');

  const expected = {
    date: seoulDate(),
    newUsers: 4, // the admin, Mina, Joon, Sora
    activeUsers: 4,
    messagesSent: 3,
    ordersPlaced: 2,
    ordersPaid: 1,
    revenue: { amount: 10000, currency: 'KRW' },
  };
  let report: unknown;
  await eventually(async () => {
    report = (await gql(REPORT, { date: seoulDate() }, admin)).data?.dailyReport;
    return JSON.stringify(report) === JSON.stringify(expected);
  }, 'the report caught up with the events', 10_000).catch(() => undefined);
  expect(report).toEqual(expected);

  expect((await gql(REPORT, { date: seoulDate(-1) }, admin)).data!.dailyReport).toMatchObject({ newUsers: 0, activeUsers: 0, revenue: { amount: 0 } });
  expect((await gql(REPORT, { date: seoulDate(1) }, admin)).data!.dailyReport).toBeNull();
  const bad = await gql(REPORT, { date: '2026-02-30' }, admin);
  expect(bad.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  expect(bad.errors![0].message).toMatch(/YYYY-MM-DD/);
  expect((await gql(REPORT, { date: seoulDate() }, mina)).errors![0].extensions!.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');

  const runJob = async (name: string) => {
    const queued = (await gql('mutation($name: String!) { runJob(name: $name) { id } }', { name }, admin)).data!.runJob;
    let run: { status: string; result: unknown } | undefined;
    await eventually(async () => {
      run = (await gql('query($name: String) { jobRuns(job: $name) { edges { node { id status result } } } }', { name }, admin)).data!.jobRuns.edges
        .map((edge: { node: { id: string } }) => edge.node)
        .find((node: { id: string }) => node.id === queued.id);
      return run?.status === 'SUCCEEDED';
    }, `the ${name} job ran`, 15_000);
    return run!;
  };
  // The daily-report job reports yesterday.
  expect((await runJob('daily-report')).result).toMatchObject({ date: seoulDate(-1), newUsers: 0, ordersPaid: 0 });
  // A job that goes through the router signs the batch service in: a service is not an active user.
  await runJob('session-cleanup');
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await gql(REPORT, { date: seoulDate() }, admin)).data!.dailyReport).toEqual(expected);
});
