import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { bearer, post } from '@dorandoran/test-support/graphql';
import { createRoom, send, SEND, startHarness, trusted, type ChatHarness, type Person } from '../helpers/harness';

let h: ChatHarness;
let alice: Person;
let bob: Person;
let eve: Person;
let roomId: string;
let messageId: string;
beforeAll(async () => {
  h = await startHarness();
  [alice, bob, eve] = [await h.person('Alice'), await h.person('Bob'), await h.person('Eve')];
  roomId = await createRoom(h, alice, 'DIRECT', [bob.id]);
  messageId = (await send(h, alice, roomId, 'private')).id;
});
afterAll(() => h?.close());

const ROOM = 'query($id: ID!) { chatRoom(id: $id) { id title messages { edges { node { text } } } } }';
const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on ChatRoom { id kind unreadCount members { id } } ... on Message { id text sender { id } room { id } } } }';

describe('a signed-in non-member is refused (FORBIDDEN) by the subgraph itself', () => {
  test.each([
    ['reading the room', ROOM, () => ({ id: roomId })],
    ['sending', SEND, () => ({ input: { roomId, text: 'hi', clientMessageId: randomUUID() } })],
    ['marking it read', 'mutation($r: ID!, $m: ID!) { markRoomRead(roomId: $r, messageId: $m) { id } }', () => ({ r: roomId, m: messageId })],
    ['leaving it', 'mutation($r: ID!) { leaveChatRoom(roomId: $r) }', () => ({ r: roomId })],
  ])('%s', async (_name, query, variables) => {
    const response = await h.gql(query, variables(), eve.headers);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(response.errors![0].message).toContain(roomId);
  });

  test('a room that does not exist looks the same as one the caller is not in', async () => {
    for (const id of [uuidv7(), 'not-a-uuid']) {
      const response = await h.gql(ROOM, { id }, eve.headers);
      expect(response.errors![0].extensions!.code).toBe('FORBIDDEN');
    }
  });
});

describe('anonymous callers', () => {
  test('no router secret → HTTP 403 ROUTER_SECRET_REQUIRED, with a member token or without', async () => {
    for (const headers of [{}, bearer(alice.token)]) {
      const response = await post(h.chat.url, ROOM, { id: roomId }, headers);
      expect(response.status).toBe(403);
      expect(response.errors![0].extensions!.code).toBe('ROUTER_SECRET_REQUIRED');
    }
  });

  test('through the router without a token (router secret only) → UNAUTHENTICATED', async () => {
    for (const query of [ROOM, '{ chatRooms { edges { cursor } } }']) {
      const response = await h.gql(query, { id: roomId }, trusted);
      expect(response.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    }
  });

  test('an expired token → 401', async () => {
    const token = await h.issuer.sign({ sub: alice.id, expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const response = await h.gql(ROOM, { id: roomId }, bearer(token));
    expect(response.status).toBe(401);
  });
});

describe('_entities (the router fetching chat fields)', () => {
  const ME_CHAT_ROOMS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User {
    chatRooms { edges { node { id title members { __typename id } lastMessage { text sender { __typename id } } } } }
  } } }`;

  test('Flatten(path: "me") Fetch(service: "chat"): the user\'s own chatRooms, members and senders as User stubs', async () => {
    const response = await h.gql(ME_CHAT_ROOMS, { r: [{ __typename: 'User', id: bob.id }] }, { ...trusted, ...bob.headers });
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([
      {
        chatRooms: {
          edges: [
            {
              node: {
                id: roomId,
                title: null,
                members: [{ __typename: 'User', id: alice.id }, { __typename: 'User', id: bob.id }],
                lastMessage: { text: 'private', sender: { __typename: 'User', id: alice.id } },
              },
            },
          ],
        },
      },
    ]);
  });

  test('Flatten(path: "user") Fetch(service: "chat"): another user\'s chatRooms → null with FORBIDDEN', async () => {
    const response = await h.gql(ME_CHAT_ROOMS, { r: [{ __typename: 'User', id: alice.id }] }, { ...trusted, ...eve.headers });
    expect(response.data!._entities).toEqual([null]);
    expect(response.errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  test('Fetch(service: "chat") on ChatRoom and Message keys: a member gets them in order, unknown ids null', async () => {
    const representations = [
      { __typename: 'Message', id: messageId },
      { __typename: 'ChatRoom', id: uuidv7() },
      { __typename: 'ChatRoom', id: roomId },
    ];
    const response = await h.gql(ENTITIES, { r: representations }, { ...trusted, ...bob.headers });
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([
      { id: messageId, text: 'private', sender: { id: alice.id }, room: { id: roomId } },
      null,
      { id: roomId, kind: 'DIRECT', unreadCount: 1, members: [{ id: alice.id }, { id: bob.id }] },
    ]);
  });

  test('Fetch(service: "chat") on ChatRoom and Message keys: a non-member gets null for each, with FORBIDDEN', async () => {
    const representations = [{ __typename: 'ChatRoom', id: roomId }, { __typename: 'Message', id: messageId }];
    const response = await h.gql(ENTITIES, { r: representations }, { ...trusted, ...eve.headers });
    expect(response.data!._entities).toEqual([null, null]);
    expect(new Set(response.errors!.map((error) => error.extensions!.code))).toEqual(new Set(['FORBIDDEN']));
  });
});
