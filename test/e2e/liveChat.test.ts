import { randomUUID } from 'node:crypto';
import type { Client, ExecutionResult } from 'graphql-ws';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, type SignedIn } from '@dorandoran/test-support/users';
import { eventually, health, within, wsClient } from '@dorandoran/test-support/ws';

let stack: Stack;
let alice: SignedIn;
let bob: SignedIn;
const clients: Client[] = [];

beforeAll(async () => {
  stack = await startStack();
  [alice, bob] = await Promise.all([signUp(stack, { nickname: 'Alice' }), signUp(stack, { nickname: 'Bob' })]);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(() => stack?.close());

const CREATE_ROOM = 'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }';
const SEND = `mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { id text sender { id nickname } }
}`;
const MESSAGE_ADDED = `subscription($roomId: ID!) {
  messageAdded(roomId: $roomId) { id text createdAt sender { id nickname avatarUrl } room { id title } }
}`;

interface RouterStats {
  connections: number;
  subscriptions: number;
  upstreamConnections: number;
  upstreamSubscriptions: number;
}
type MessageEvent = ExecutionResult<{ messageAdded: { id: string; text: string; sender: { nickname: string } } }>;

const routerStats = async (url = stack.routerUrl) => (await health<{ subscriptions: RouterStats }>(url)).subscriptions;
const chatSubscriptions = async (url = stack.chatUrl) => (await health<{ subscriptions: number }>(url)).subscriptions;

async function gql(query: string, variables: Record<string, unknown>, person?: SignedIn, url = stack.routerUrl): Promise<GraphQLResponse> {
  return post(url, query, variables, person?.headers ?? {});
}

async function createRoom(creator: SignedIn, kind: 'DIRECT' | 'GROUP', others: SignedIn[], title?: string): Promise<string> {
  const response = await gql(CREATE_ROOM, { input: { kind, title, memberIds: others.map((other) => other.id) } }, creator);
  if (!response.data?.createChatRoom) throw new Error(JSON.stringify(response.errors));
  return response.data.createChatRoom.id;
}

async function send(sender: SignedIn, roomId: string, text: string, clientMessageId = randomUUID(), url = stack.routerUrl) {
  const response = await gql(SEND, { input: { roomId, text, clientMessageId } }, sender, url);
  if (!response.data?.sendMessage) throw new Error(JSON.stringify(response.errors));
  return response.data.sendMessage as { id: string; text: string };
}

/** Subscribes through a router and waits until the chat subgraph serves the subscription. */
async function subscribe(person: SignedIn | null, roomId: string, routerUrl = stack.routerUrl, chatUrl = stack.chatUrl) {
  const client = wsClient(routerUrl, person ? person.headers : {});
  clients.push(client);
  const before = await chatSubscriptions(chatUrl);
  const events = client.iterate({ query: MESSAGE_ADDED, variables: { roomId } });
  const first = events.next();
  await Promise.race([eventually(async () => (await chatSubscriptions(chatUrl)) > before, 'subscription live on chat', 15_000), first]);
  return { client, events, first };
}

const messageOf = (result: IteratorResult<unknown>) => (result.value as MessageEvent).data!.messageAdded;

describe('live chat through the router', () => {
  test('A subscribes, B sends: A receives the message with the sender from users and the room from chat', async () => {
    const roomId = await createRoom(bob, 'GROUP', [alice], 'Lunch');
    const { first } = await subscribe(alice, roomId);
    const sent = await send(bob, roomId, '  noodles at noon?  ');
    expect(sent).toMatchObject({ text: 'noodles at noon?', sender: { id: bob.id, nickname: 'Bob' } });

    const event = (await within(first)).value as MessageEvent;
    expect(event.errors).toBeUndefined();
    expect(event.data).toEqual({
      messageAdded: {
        id: sent.id,
        text: 'noodles at noon?',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        sender: { id: bob.id, nickname: 'Bob', avatarUrl: null },
        room: { id: roomId, title: 'Lunch' },
      },
    });
  });

  test('a non-member is refused with FORBIDDEN, an anonymous client with UNAUTHORIZED_FIELD_OR_TYPE', async () => {
    const carol = await signUp(stack, { nickname: 'Carol' });
    const roomId = await createRoom(alice, 'DIRECT', [bob]);

    const nonMember = wsClient(stack.routerUrl, carol.headers);
    clients.push(nonMember);
    const refused = nonMember.iterate({ query: MESSAGE_ADDED, variables: { roomId } }).next();
    await expect(within(refused)).resolves.toMatchObject({
      value: { errors: [expect.objectContaining({ message: expect.stringContaining('Only members'), extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })] },
    });

    const anonymous = wsClient(stack.routerUrl);
    clients.push(anonymous);
    await expect(within(anonymous.iterate({ query: MESSAGE_ADDED, variables: { roomId } }).next())).rejects.toEqual([
      expect.objectContaining({ path: ['messageAdded'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
    expect(await chatSubscriptions()).toBe(0);
  });

  test('the same clientMessageId sent twice through the router makes one message, delivered once', async () => {
    const roomId = await createRoom(alice, 'DIRECT', [bob]);
    const { events, first } = await subscribe(bob, roomId);
    const key = randomUUID();
    const [one, two] = await Promise.all([send(alice, roomId, 'only once', key), send(alice, roomId, 'only once', key)]);
    expect(two.id).toBe(one.id);
    expect(messageOf(await within(first)).id).toBe(one.id);
    // Events of a room arrive in order: a duplicate would come before this next message.
    const next = await send(alice, roomId, 'next');
    expect(messageOf(await within(events.next())).id).toBe(next.id);
    const page = await gql('query($id: ID!) { chatRoom(id: $id) { messages { edges { node { text } } } } }', { id: roomId }, bob);
    expect(page.data!.chatRoom.messages.edges.map((edge: { node: { text: string } }) => edge.node.text)).toEqual(['only once', 'next']);
  });

  test('leaving the room completes the member\'s subscription', async () => {
    const roomId = await createRoom(alice, 'GROUP', [bob], 'Leaving');
    const { first } = await subscribe(bob, roomId);
    const left = await gql('mutation($id: ID!) { leaveChatRoom(roomId: $id) }', { id: roomId }, bob);
    expect(left.data).toEqual({ leaveChatRoom: true });
    expect((await within(first)).done).toBe(true);
    await eventually(async () => (await routerStats()).upstreamSubscriptions === 0, 'upstream subscription closed');
  });

  test('logging out ends the session\'s subscriptions (socket closed with 4403)', async () => {
    const session = await signUp(stack, { nickname: 'Leaver' });
    const roomId = await createRoom(session, 'DIRECT', [alice]);
    const { first } = await subscribe(session, roomId);
    const loggedOut = await gql('mutation { logOut }', {}, session);
    expect(loggedOut.data).toEqual({ logOut: true });
    await expect(within(first)).rejects.toMatchObject({ code: 4403 });
    await eventually(async () => (await chatSubscriptions()) === 0, 'chat subscription closed');
  });

  test('after 100 clients subscribe and disconnect, the router holds no upstream subscriptions', async () => {
    const roomId = await createRoom(alice, 'GROUP', [bob], 'Crowd');
    for (let i = 0; i < 100; i++) {
      const client = wsClient(stack.routerUrl, i % 2 ? alice.headers : bob.headers);
      clients.push(client);
      void client.iterate({ query: MESSAGE_ADDED, variables: { roomId } }).next().catch(() => undefined);
    }
    // Two tokens, one operation and room: the 100 share two upstream subscriptions, one socket each.
    await eventually(async () => (await routerStats()).subscriptions === 100 && (await chatSubscriptions()) === 2, '100 subscriptions on 2 upstreams', 15_000);
    expect(await routerStats()).toMatchObject({ connections: 100, subscriptions: 100, upstreamConnections: 2, upstreamSubscriptions: 2 });

    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await eventually(async () => (await routerStats()).upstreamConnections === 0 && (await chatSubscriptions()) === 0, 'all closed', 15_000);
    expect(await routerStats()).toMatchObject({ connections: 0, subscriptions: 0, upstreamConnections: 0, upstreamSubscriptions: 0 });
  }, 60_000);
});

describe('chat queries through the router', () => {
  test('500 messages paged backwards through the router: each exactly once, in order, with senders from users', async () => {
    const roomId = await createRoom(alice, 'GROUP', [bob], 'Paging');
    for (let batch = 0; batch < 25; batch++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => send(i % 2 ? bob : alice, roomId, `m${batch * 20 + i}`)));
    }
    const PAGE = `query($id: ID!, $before: String) {
      chatRoom(id: $id) { messages(last: 100, before: $before) { edges { node { id sender { nickname } } } pageInfo { hasPreviousPage startCursor } } }
    }`;
    const ids: string[] = [];
    const nicknames = new Set<string>();
    let before: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const response: GraphQLResponse = await gql(PAGE, { id: roomId, before }, alice);
      expect(response.errors).toBeUndefined();
      const { edges, pageInfo } = response.data!.chatRoom.messages;
      ids.unshift(...edges.map((edge: { node: { id: string } }) => edge.node.id));
      for (const edge of edges) nicknames.add(edge.node.sender.nickname);
      if (!pageInfo.hasPreviousPage) break;
      before = pageInfo.startCursor;
    }
    expect(ids).toHaveLength(500);
    expect(new Set(ids).size).toBe(500);
    // UUID v7 ids grow with time, and the sequence orders the page: ids come out sorted.
    expect([...ids].sort()).toEqual(ids);
    expect(nicknames).toEqual(new Set(['Alice', 'Bob']));
  }, 240_000); // 30 s on the 2-core machine at load average 8; past 60 s at 17 (CI beside other work)

  test('me.chatRooms: latest activity first, with lastMessage and its sender, and unreadCount per reader', async () => {
    const dana = await signUp(stack, { nickname: 'Dana' });
    const quiet = await createRoom(dana, 'DIRECT', [alice]);
    const busy = await createRoom(dana, 'GROUP', [bob], 'Busy');
    await send(bob, busy, 'first');
    await send(bob, busy, 'second');
    const response = await gql(
      '{ me { chatRooms { edges { node { id unreadCount lastMessage { text sender { nickname } } } } } } }',
      {},
      dana,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.me.chatRooms.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      { id: busy, unreadCount: 2, lastMessage: { text: 'second', sender: { nickname: 'Bob' } } },
      { id: quiet, unreadCount: 0, lastMessage: null },
    ]);
  });

  test('another user\'s chatRooms → FORBIDDEN (the field is non-null, so the user comes back null)', async () => {
    const response = await gql('query($id: ID!) { user(id: $id) { nickname chatRooms { edges { cursor } } } }', { id: bob.id }, alice);
    expect(response.data).toEqual({ user: null });
    expect(response.errors![0]).toMatchObject({ path: ['user', 'chatRooms'], extensions: { code: 'FORBIDDEN' } });
  });
});

const sharedInfra = process.env.DATABASE_URL && process.env.REDIS_URL ? describe : describe.skip;

sharedInfra('two chat instances and two routers on one PostgreSQL and Redis', () => {
  test('a message sent through one pair reaches a subscriber on the other, once', async () => {
    const chat2 = await stack.startChat();
    const router2 = await stack.startRouter({ CHAT_URL: chat2.url });
    const roomId = await createRoom(alice, 'DIRECT', [bob]);
    const { events, first } = await subscribe(bob, roomId, router2.url, chat2.url);
    expect(await chatSubscriptions()).toBe(0);

    const one = await send(alice, roomId, 'across machines');
    expect(messageOf(await within(first))).toMatchObject({ id: one.id, sender: { nickname: 'Alice' } });
    const two = await send(alice, roomId, 'and in order');
    expect(messageOf(await within(events.next())).id).toBe(two.id);
  });
});

// Last: it stops the stack's chat subgraph.
describe('when chat goes away', () => {
  test('a live subscription is told at once (socket closed 1012, which clients retry, then fetch what they missed); one made while chat stays down ends with SERVICE_UNAVAILABLE instead of hanging; sending says chat is down', async () => {
    const roomId = await createRoom(alice, 'DIRECT', [bob]);
    const { first } = await subscribe(bob, roomId);
    await stack.stopService('chat');
    await expect(within(first, 10_000)).rejects.toMatchObject({ code: 1012, reason: expect.stringMatching(/fetch what you missed/) });

    const again = wsClient(stack.routerUrl, bob.headers);
    clients.push(again);
    const events = again.iterate({ query: MESSAGE_ADDED, variables: { roomId } });
    const ended = (await within(events.next(), 30_000)).value as MessageEvent;
    expect(ended.errors![0].extensions!.code).toBe('SERVICE_UNAVAILABLE');
    expect((await events.next()).done).toBe(true);
    expect(await routerStats()).toMatchObject({ upstreamSubscriptions: 0 });

    const response = await gql(SEND, { input: { roomId, text: 'anyone?', clientMessageId: randomUUID() } }, alice);
    expect(response.status).toBe(503);
    expect(response.errors![0]).toMatchObject({ message: 'The chat service is not reachable; try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } });

    // The rest of the graph still answers.
    const me = await gql('{ me { nickname } }', {}, alice);
    expect(me).toMatchObject({ status: 200, data: { me: { nickname: 'Alice' } } });
  }, 40_000);
});
