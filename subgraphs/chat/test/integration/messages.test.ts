import { randomUUID } from 'node:crypto';
import type { GraphQLResponse } from '@dorandoran/test-support/graphql';
import { createRoom, send, SEND, startHarness, type ChatHarness, type Person } from '../helpers/harness';

let h: ChatHarness;
let alice: Person;
let bob: Person;
beforeAll(async () => {
  h = await startHarness();
  [alice, bob] = [await h.person('Alice'), await h.person('Bob')];
});
afterAll(() => h?.close());

const PAGE = `query($id: ID!, $last: Int, $before: String) {
  chatRoom(id: $id) { messages(last: $last, before: $before) { edges { cursor node { id text } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }
}`;
const ROOM_STATE = 'query($id: ID!) { chatRoom(id: $id) { unreadCount lastMessage { id text sender { id } } } }';
const MARK_READ = 'mutation($roomId: ID!, $messageId: ID!) { markRoomRead(roomId: $roomId, messageId: $messageId) { id unreadCount } }';

describe('sendMessage', () => {
  test('the text is trimmed; the message names its sender and room', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Trim');
    const message = await send(h, alice, roomId, '  hello  ');
    expect(message).toMatchObject({ text: 'hello', sender: { id: alice.id }, room: { id: roomId } });
    expect(new Date(message.createdAt).toISOString()).toBe(message.createdAt);
  });

  test.each([
    ['blank', '   \n\t '],
    ['too long', 'x'.repeat(4001)],
  ])('%s text → BAD_USER_INPUT on text', async (_name, text) => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Bad');
    const response = await h.gql(SEND, { input: { roomId, text, clientMessageId: randomUUID() } }, alice.headers);
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
  });

  test('4000 characters (emoji count as one each) is allowed', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Long');
    const message = await send(h, alice, roomId, '😀'.repeat(4000));
    expect([...message.text]).toHaveLength(4000);
  });

  test('a retry with the same clientMessageId returns the first message', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Retry');
    const key = randomUUID();
    const first = await send(h, alice, roomId, 'once', key);
    const retry = await send(h, alice, roomId, 'once, edited', key);
    expect(retry).toEqual(first);
    // The key is per sender: Bob's message with the same key is his own.
    const bobs = await send(h, bob, roomId, 'mine', key);
    expect(bobs.id).not.toBe(first.id);
  });

  test('ten concurrent sends with one clientMessageId make one message', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Storm');
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => send(h, alice, roomId, 'storm', key)));
    expect(new Set(results.map((message) => message.id)).size).toBe(1);
    const page = await h.gql(PAGE, { id: roomId, last: 50 }, bob.headers);
    expect(page.data!.chatRoom.messages.edges).toHaveLength(1);
  });
});

describe('messages (paged backwards)', () => {
  test('500 messages sent 20 at a time: pages of 100 return each exactly once, in send order', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Paging');
    for (let batch = 0; batch < 25; batch++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => send(h, i % 2 ? bob : alice, roomId, `${batch}:${i}`)));
    }
    const pages: string[][] = [];
    let before: string | null = null;
    for (;;) {
      const response: GraphQLResponse = await h.gql(PAGE, { id: roomId, last: 100, before }, alice.headers);
      const { edges, pageInfo } = response.data!.chatRoom.messages;
      pages.unshift(edges.map((edge: { node: { text: string } }) => edge.node.text));
      expect(pageInfo.hasNextPage).toBe(before !== null);
      expect(pageInfo.startCursor).toBe(edges[0].cursor);
      if (!pageInfo.hasPreviousPage) break;
      before = pageInfo.startCursor;
    }
    expect(pages).toHaveLength(5);
    const texts = pages.flat();
    expect(new Set(texts).size).toBe(500);
    // Within a batch the sends race; batches come one after another, oldest first.
    const batches = texts.map((text) => Number(text.split(':')[0]));
    expect(batches).toEqual([...batches].sort((a, b) => a - b));
  });

  test('a default page is the newest 50; a bad cursor or last over 100 → BAD_USER_INPUT', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Default');
    for (let i = 0; i < 55; i++) await send(h, alice, roomId, `d${i}`);
    const page = await h.gql(PAGE, { id: roomId }, alice.headers);
    const texts = page.data!.chatRoom.messages.edges.map((edge: { node: { text: string } }) => edge.node.text);
    expect(texts).toEqual(Array.from({ length: 50 }, (_, i) => `d${i + 5}`));
    const badCursor = await h.gql(PAGE, { id: roomId, before: 'nope' }, alice.headers);
    expect(badCursor.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
    const tooMany = await h.gql(PAGE, { id: roomId, last: 101 }, alice.headers);
    expect(tooMany.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
  });
});

describe('read state', () => {
  test('unreadCount counts others\' messages after the read mark; markRoomRead never moves it back', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Unread');
    const empty = await h.gql(ROOM_STATE, { id: roomId }, bob.headers);
    expect(empty.data!.chatRoom).toEqual({ unreadCount: 0, lastMessage: null });
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push(await send(h, alice, roomId, `a${i}`));
    await send(h, bob, roomId, 'bob writes too');
    const state = await h.gql(ROOM_STATE, { id: roomId }, bob.headers);
    expect(state.data!.chatRoom).toEqual({ unreadCount: 3, lastMessage: { id: expect.any(String), text: 'bob writes too', sender: { id: bob.id } } });
    expect((await h.gql(ROOM_STATE, { id: roomId }, alice.headers)).data!.chatRoom.unreadCount).toBe(1);

    const marked = await h.gql(MARK_READ, { roomId, messageId: sent[1].id }, bob.headers);
    expect(marked.data!.markRoomRead.unreadCount).toBe(1);
    const backwards = await h.gql(MARK_READ, { roomId, messageId: sent[0].id }, bob.headers);
    expect(backwards.data!.markRoomRead.unreadCount).toBe(1);
    const all = await h.gql(MARK_READ, { roomId, messageId: sent[2].id }, bob.headers);
    expect(all.data!.markRoomRead.unreadCount).toBe(0);
  });

  test('the sent message counts the others who have not read it, in the answer and on a retry', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Counted');
    const SEND_COUNTED = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id unreadCount } }';
    const input = { roomId, text: 'counted', clientMessageId: randomUUID() };
    const sent = (await h.gql(SEND_COUNTED, { input }, alice.headers)).data!.sendMessage;
    expect(sent).toEqual({ id: expect.any(String), unreadCount: 1 });
    await h.gql(MARK_READ, { roomId, messageId: sent.id }, bob.headers);
    expect((await h.gql(SEND_COUNTED, { input }, alice.headers)).data!.sendMessage).toEqual({ id: sent.id, unreadCount: 0 });
  });

  test('a message of another room → NOT_FOUND', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Here');
    const elsewhere = await createRoom(h, alice, 'GROUP', [bob.id], 'There');
    const message = await send(h, alice, elsewhere, 'not here');
    const response = await h.gql(MARK_READ, { roomId, messageId: message.id }, bob.headers);
    expect(response.errors![0].extensions!.code).toBe('NOT_FOUND');
  });
});
