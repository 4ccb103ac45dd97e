import { randomUUID } from 'node:crypto';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { REFRESH, signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';
import { eventually } from '@dorandoran/test-support/ws';

/** The flows that run on domain events between services, end to end through the router. */
let stack: Stack;
let admin: SignedIn;
beforeAll(async () => {
  stack = await startStack();
  admin = await signUpAdmin(stack);
});
afterAll(() => stack?.close());

const gql = (query: string, variables: Record<string, unknown> = {}, person?: SignedIn): Promise<GraphQLResponse> =>
  post(stack.routerUrl, query, variables, person?.headers ?? {});

const SET_STATUS = 'mutation($id: ID!, $status: UserStatus!) { setUserStatus(userId: $id, status: $status) { status } }';

test('a suspended user’s refresh token is refused within 5 s, and their sessions are gone once auth has the event', async () => {
  const user = await signUp(stack);
  const second = await post(stack.routerUrl, 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { refreshToken } }', { e: user.email, p: user.password });
  const suspendedAt = Date.now();
  expect((await gql(SET_STATUS, { id: user.id, status: 'SUSPENDED' }, admin)).data!.setUserStatus.status).toBe('SUSPENDED');
  await eventually(async () => (await post(stack.routerUrl, REFRESH, { token: user.refreshToken })).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', 'refresh refused', 5000);
  expect(Date.now() - suspendedAt).toBeLessThan(5000);
  // Reactivated, the old sessions stay ended: auth deleted them on user.status_changed.
  await gql(SET_STATUS, { id: user.id, status: 'ACTIVE' }, admin);
  await eventually(async () => !(await post(stack.routerUrl, 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }', { e: user.email, p: user.password })).errors, 'sign-in allowed again', 5000);
  const refreshed = await post(stack.routerUrl, REFRESH, { token: second.data!.logIn.refreshToken });
  expect(refreshed.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
});

test('a deleted user leaves their chat rooms; their messages stay, shown as a deleted user', async () => {
  const leaving = await signUp(stack, { nickname: 'Soon Gone' });
  const staying = await signUp(stack, { nickname: 'Staying' });
  const room = await gql(
    'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }',
    { input: { kind: 'GROUP', title: 'Tea club', memberIds: [staying.id] } },
    leaving,
  );
  const roomId = room.data!.createChatRoom.id;
  const sent = await gql('mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { roomId, text: 'bye all', clientMessageId: 'm1' } }, leaving);
  expect(sent.errors).toBeUndefined();

  expect((await gql('mutation { deleteAccount }', {}, leaving)).data).toEqual({ deleteAccount: true });
  const ROOM = 'query($id: ID!) { chatRoom(id: $id) { members { id } messages(last: 10) { edges { node { text sender { id nickname status } } } } } }';
  await eventually(async () => (await gql(ROOM, { id: roomId }, staying)).data?.chatRoom.members.length === 1, 'the deleted member removed', 5000);
  const seen = (await gql(ROOM, { id: roomId }, staying)).data!.chatRoom;
  expect(seen.members).toEqual([{ id: staying.id }]);
  expect(seen.messages.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
    { text: 'bye all', sender: { id: leaving.id, nickname: 'Deleted user', status: 'DELETED' } },
  ]);
});

test('a deleted buyer’s unpaid orders are cancelled by the system and their stock released; paid orders stay', async () => {
  const buyer = await signUp(stack, { nickname: 'Buyer' });
  const product = await gql(
    'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { input: { name: 'Omija tea', price: 9000, stock: 10, category: 'tea' } },
    admin,
  );
  const productId = product.data!.createProduct.id;
  const order = async (quantity: number) =>
    (await gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId, quantity }], idempotencyKey: randomUUID() } }, buyer)).data!.placeOrder.id as string;
  const unpaid = await order(3);
  const paid = await order(2);
  const payment = await gql('mutation($input: PayOrderInput!) { payOrder(input: $input) { status } }', { input: { orderId: paid, paymentKey: 'sandbox-card-approve', amount: 18000 } }, buyer);
  expect(payment.data!.payOrder.status).toBe('PAID');

  await gql('mutation { deleteAccount }', {}, buyer);
  const ORDER = 'query($id: ID!) { order(id: $id) { status history { to actorRole reason } } }';
  await eventually(async () => (await gql(ORDER, { id: unpaid }, admin)).data?.order.status === 'CANCELLED', 'the unpaid order cancelled', 5000);
  expect((await gql(ORDER, { id: unpaid }, admin)).data!.order.history.at(-1)).toEqual({ to: 'CANCELLED', actorRole: 'SYSTEM', reason: 'The buyer deleted their account.' });
  expect((await gql(ORDER, { id: paid }, admin)).data!.order.status).toBe('PAID');
  expect((await gql('query($id: ID!) { product(id: $id) { stock } }', { id: productId })).data!.product.stock).toBe(8);
});
