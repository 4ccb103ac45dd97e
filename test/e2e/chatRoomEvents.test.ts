import { randomUUID } from 'node:crypto';
import type { Client, ExecutionResult } from 'graphql-ws';
import { post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, type SignedIn } from '@dorandoran/test-support/users';
import { eventually, health, within, wsClient } from '@dorandoran/test-support/ws';

let stack: Stack;
let alice: SignedIn;
let bob: SignedIn;
const clients: Client[] = [];

beforeAll(async () => {
  stack = await startStack();
  alice = await signUp(stack, { nickname: 'Alice' });
  bob = await signUp(stack, { nickname: 'Bob' });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await eventually(async () => (await chatSubscriptions()) === 0, 'chat subscriptions ended');
});
afterAll(() => stack?.close());

const ROOM_EVENTS = `subscription {
  chatRoomEvents {
    kind
    room { id kind unreadCount members { id nickname } lastMessage { text } }
    message { id text unreadCount sender { id nickname } }
  }
}`;

interface RoomEvent {
  kind: string;
  room: { id: string; kind: string; unreadCount: number; members: { id: string; nickname: string }[]; lastMessage: { text: string } | null };
  message: { id: string; text: string; unreadCount: number; sender: { id: string; nickname: string } } | null;
}

const chatSubscriptions = async () => (await health<{ subscriptions: number }>(stack.chatUrl)).subscriptions;

async function gql(query: string, variables: Record<string, unknown>, person: SignedIn) {
  const response = await post(stack.routerUrl, query, variables, person.headers);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!;
}

const createRoom = async (creator: SignedIn, others: SignedIn[]) =>
  (await gql('mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'DIRECT', memberIds: others.map((o) => o.id) } }, creator))
    .createChatRoom.id as string;

const send = async (sender: SignedIn, roomId: string, text: string) =>
  (await gql('mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { roomId, text, clientMessageId: randomUUID() } }, sender))
    .sendMessage.id as string;

/** chatRoomEvents through the router, live on chat before it returns. */
async function follow(person: SignedIn | null) {
  const client = wsClient(stack.routerUrl, person ? person.headers : {});
  clients.push(client);
  const before = await chatSubscriptions();
  const events = client.iterate({ query: ROOM_EVENTS });
  let pending = events.next();
  await Promise.race([eventually(async () => (await chatSubscriptions()) > before, 'chatRoomEvents live on chat'), pending]);
  return {
    async next(): Promise<RoomEvent> {
      const result = (await within(pending)) as IteratorResult<ExecutionResult<{ chatRoomEvents: RoomEvent }>>;
      pending = events.next();
      if (result.done) throw new Error('the subscription ended');
      if (result.value.errors) throw new Error(JSON.stringify(result.value.errors));
      return result.value.data!.chatRoomEvents;
    },
    first: () => within(pending),
  };
}

describe('chatRoomEvents through the router', () => {
  test('a new room reaches its other member live, with the members from users; then its messages with the reader\'s unread count', async () => {
    const bobs = await follow(bob);
    const roomId = await createRoom(alice, [bob]);
    const joined = await bobs.next();
    expect(joined).toMatchObject({ kind: 'JOINED', room: { id: roomId, kind: 'DIRECT', unreadCount: 0, lastMessage: null }, message: null });
    expect(joined.room.members.map((member) => member.nickname).sort()).toEqual(['Alice', 'Bob']);

    const id = await send(alice, roomId, 'first words');
    const message = await bobs.next();
    expect(message).toMatchObject({
      kind: 'MESSAGE',
      room: { id: roomId, unreadCount: 1, lastMessage: { text: 'first words' } },
      message: { id, text: 'first words', unreadCount: 1, sender: { id: alice.id, nickname: 'Alice' } },
    });

    await gql('mutation($r: ID!, $m: ID!) { markRoomRead(roomId: $r, messageId: $m) { id } }', { r: roomId, m: id }, bob);
    expect(await bobs.next()).toMatchObject({ kind: 'READ', room: { id: roomId, unreadCount: 0 }, message: { id, unreadCount: 0 } });
  });

  test('someone else\'s rooms stay theirs: a third person hears only of the room made with them', async () => {
    const eve = await signUp(stack, { nickname: 'Eve' });
    const eves = await follow(eve);
    const roomId = await createRoom(alice, [bob]);
    await send(alice, roomId, 'not for Eve');
    const own = await createRoom(bob, [eve]);
    expect(await eves.next()).toMatchObject({ kind: 'JOINED', room: { id: own } });
  });

  test('after leaving, a member hears LEFT once and nothing more of the room', async () => {
    const carol = await signUp(stack, { nickname: 'Carol' });
    const roomId = await createRoom(carol, [alice]);
    const carols = await follow(carol);
    await gql('mutation($r: ID!) { leaveChatRoom(roomId: $r) }', { r: roomId }, carol);
    expect(await carols.next()).toMatchObject({ kind: 'LEFT', room: { id: roomId } });
    await send(alice, roomId, 'are you there?');
    const next = await createRoom(bob, [carol]);
    expect(await carols.next()).toMatchObject({ kind: 'JOINED', room: { id: next } });
  });

  test('without a token → UNAUTHORIZED_FIELD_OR_TYPE, and nothing subscribed on chat', async () => {
    const anonymous = wsClient(stack.routerUrl);
    clients.push(anonymous);
    await expect(within(anonymous.iterate({ query: ROOM_EVENTS }).next())).rejects.toEqual([
      expect.objectContaining({ path: ['chatRoomEvents'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
    expect(await chatSubscriptions()).toBe(0);
  });
});
