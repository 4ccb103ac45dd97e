import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';

/** Root fields are nullable: a refused field or one whose subgraph is down is null, the rest is answered. */
let stack: Stack;
let alice: SignedIn;
const productIds: string[] = [];
/** How long a service waits on its database (DATABASE_TIMEOUT_MS): shorter than the default 5 s, so the stall below costs the suite less. */
const DATABASE_TIMEOUT_MS = 2000;
beforeAll(async () => {
  // Auth's call to users must stay below it (its config says so).
  stack = await startStack({ DATABASE_TIMEOUT_MS: String(DATABASE_TIMEOUT_MS), USERS_TIMEOUT_MS: '1500' });
  const admin = await signUpAdmin(stack);
  alice = await signUp(stack, { nickname: 'Alice' });
  for (const name of ['Barley tea', 'Yuja tea']) {
    const created = await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { name, price: 5000, stock: 10 } }, admin);
    productIds.unshift(created.data!.createProduct.id);
  }
});
afterAll(() => stack?.close());

const gql = (query: string, variables: Record<string, unknown> = {}, person?: SignedIn): Promise<GraphQLResponse> =>
  post(stack.routerUrl, query, variables, person?.headers ?? {});

const MIXED = '{ me { id } chatRooms(first: 5) { edges { node { id } } } products(first: 2) { edges { node { id } } } }';
const productsAnswer = () => ({ edges: productIds.map((id) => ({ node: { id } })) });

test('anonymous: me is refused (null, UNAUTHORIZED_FIELD_OR_TYPE) while products is answered', async () => {
  const response = await gql('{ me { id } products(first: 2) { edges { node { id } } } }');
  expect(response.status).toBe(200);
  expect(response.data).toEqual({ me: null, products: productsAnswer() });
  expect(response.errors).toEqual([{ message: expect.any(String), path: ['me'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
});

// A lock is what a server stalls on that tests can cause without stopping it for the other test files.
(process.env.DATABASE_URL ? describe : describe.skip)("with chat's database stalled (its messages locked by another session)", () => {
  const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id text } }';
  const MESSAGES = 'query($id: ID!) { chatRoom(id: $id) { messages(last: 10) { edges { node { text } } } } }';
  let roomId: string;
  let locker: pg.Client;
  beforeAll(async () => {
    const bob = await signUp(stack, { nickname: 'Bob' });
    const room = await gql('mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'DIRECT', memberIds: [bob.id] } }, alice);
    roomId = room.data!.createChatRoom.id;
    locker = new pg.Client({ connectionString: stack.chatDatabaseUrl });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table chat_messages in access exclusive mode');
  });
  afterAll(async () => {
    await locker?.query('rollback');
    await locker?.end();
  });

  test('sending answers 503 SERVICE_UNAVAILABLE once the timeout passes, saves nothing, and the same send goes through once the lock is gone; the rest of the graph answers meanwhile', async () => {
    const input = { roomId, text: 'while locked', clientMessageId: randomUUID() };
    const started = Date.now();
    const refused = await gql(SEND, { input }, alice);
    const waited = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.errors).toEqual([
      {
        message: "The chat service's database did not answer in time; try again shortly.",
        path: ['sendMessage'],
        extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }),
      },
    ]);
    expect(waited).toBeGreaterThanOrEqual(DATABASE_TIMEOUT_MS - 100);
    // Well before the router's 10 s subgraph timeout, the client's answer says why.
    expect(waited).toBeLessThan(DATABASE_TIMEOUT_MS + 4000);

    const reading = await gql(MESSAGES, { id: roomId }, alice);
    expect(reading.errors![0]).toMatchObject({ path: ['chatRoom', 'messages'], extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(await gql('{ me { id } products(first: 2) { edges { node { id } } } }', {}, alice)).toMatchObject({
      status: 200,
      data: { me: { id: alice.id }, products: productsAnswer() },
    });

    await locker.query('rollback');
    const sent = await gql(SEND, { input }, alice);
    expect(sent).toMatchObject({ status: 200, data: { sendMessage: { text: 'while locked' } } });
    const texts = (await gql(MESSAGES, { id: roomId }, alice)).data!.chatRoom.messages.edges.map((edge: { node: { text: string } }) => edge.node.text);
    expect(texts).toEqual(['while locked']);
  });
});

// Last: it stops the stack's chat subgraph.
describe('with chat down', () => {
  beforeAll(() => stack.stopService('chat'));

  test('chatRooms is null with one SERVICE_UNAVAILABLE naming chat; me and products are answered (200)', async () => {
    const response = await gql(MIXED, {}, alice);
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ me: { id: alice.id }, chatRooms: null, products: productsAnswer() });
    expect(response.errors).toEqual([
      {
        message: 'The chat service is not reachable; try again shortly.',
        path: ['chatRooms'],
        extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', subgraph: 'chat' }),
      },
    ]);
  });

  test('a query only chat could answer gets 503, one error per root field at its path', async () => {
    const response = await gql(`{ chatRooms(first: 5) { edges { node { id } } } room: chatRoom(id: "${alice.id}") { id } }`, {}, alice);
    expect(response.status).toBe(503);
    expect(response.data).toEqual({ chatRooms: null, room: null });
    expect(response.errors!.map((error) => [error.path, error.extensions!.code, error.extensions!.subgraph])).toEqual([
      [['chatRooms'], 'SERVICE_UNAVAILABLE', 'chat'],
      [['room'], 'SERVICE_UNAVAILABLE', 'chat'],
    ]);
  });
});
