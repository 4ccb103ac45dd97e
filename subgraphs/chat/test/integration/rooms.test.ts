import { v7 as uuidv7 } from 'uuid';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { CREATE_ROOM, createRoom, send, startHarness, type ChatHarness, type Person } from '../helpers/harness';

let h: ChatHarness;
let me: Person;
beforeAll(async () => {
  h = await startHarness();
  me = await h.person('Creator');
});
afterAll(() => h?.close());

const ROOMS = '{ chatRooms(first: 50) { edges { node { id kind title } } pageInfo { hasNextPage } } }';

describe('DIRECT rooms', () => {
  test('the caller and one other person; the same pair again, either way round, returns the same room', async () => {
    const other = await h.person('Other');
    const first = await h.gql(CREATE_ROOM, { input: { kind: 'DIRECT', memberIds: [other.id] } }, me.headers);
    expect(first.errors).toBeUndefined();
    const room = first.data!.createChatRoom;
    expect(room).toMatchObject({ kind: 'DIRECT', title: null });
    expect(room.members.map((m: { id: string }) => m.id)).toEqual([me.id, other.id]);
    const again = await h.gql(CREATE_ROOM, { input: { kind: 'DIRECT', memberIds: [me.id, other.id, other.id] } }, me.headers);
    expect(again.data!.createChatRoom.id).toBe(room.id);
    const reverse = await h.gql(CREATE_ROOM, { input: { kind: 'DIRECT', memberIds: [me.id] } }, other.headers);
    expect(reverse.data!.createChatRoom.id).toBe(room.id);
  });

  test('ten concurrent creations of one pair make one room', async () => {
    const other = await h.person('Racer');
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? createRoom(h, other, 'DIRECT', [me.id]) : createRoom(h, me, 'DIRECT', [other.id]))),
    );
    expect(new Set(ids).size).toBe(1);
  });

  test.each([
    [[], 'memberIds'],
    ['two others', 'memberIds'],
    ['self only', 'memberIds'],
    ['with a title', 'title'],
  ])('%s → BAD_USER_INPUT on the field', async (shape, field) => {
    const [a, b] = [await h.person(), await h.person()];
    const input = {
      kind: 'DIRECT',
      memberIds: shape === 'two others' ? [a.id, b.id] : shape === 'self only' ? [me.id] : Array.isArray(shape) ? shape : [a.id],
      title: shape === 'with a title' ? 'Us' : null,
    };
    const response = await h.gql(CREATE_ROOM, { input }, me.headers);
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('GROUP rooms', () => {
  test('the title is trimmed and required; the creator is always a member', async () => {
    const [a, b] = [await h.person(), await h.person()];
    const response = await h.gql(CREATE_ROOM, { input: { kind: 'GROUP', title: '  Team  ', memberIds: [a.id, b.id] } }, me.headers);
    expect(response.data!.createChatRoom).toMatchObject({ kind: 'GROUP', title: 'Team', members: [{ id: me.id }, { id: a.id }, { id: b.id }] });
    for (const title of [null, '   ', 't'.repeat(101)]) {
      const bad = await h.gql(CREATE_ROOM, { input: { kind: 'GROUP', title, memberIds: [a.id] } }, me.headers);
      expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'title' });
    }
  });

  test('up to 100 members including the creator; 101 → BAD_USER_INPUT', async () => {
    const people = await Promise.all(Array.from({ length: 100 }, () => h.person()));
    const full = await h.gql(CREATE_ROOM, { input: { kind: 'GROUP', title: 'Full', memberIds: people.slice(0, 99).map((p) => p.id) } }, me.headers);
    expect(full.data!.createChatRoom.members).toHaveLength(100);
    const over = await h.gql(CREATE_ROOM, { input: { kind: 'GROUP', title: 'Over', memberIds: people.map((p) => p.id) } }, me.headers);
    expect(over.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    expect(over.errors![0].message).toMatch(/at most 100/);
  });

  test('no other member → BAD_USER_INPUT', async () => {
    const response = await h.gql(CREATE_ROOM, { input: { kind: 'GROUP', title: 'Alone', memberIds: [me.id] } }, me.headers);
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
  });
});

describe('members are checked with users', () => {
  test('an unknown, a suspended or a malformed member → BAD_USER_INPUT naming the id, and nothing is written', async () => {
    const fine = await h.person();
    const suspended = await h.person('Suspended');
    await h.setStatus(suspended.id, 'SUSPENDED');
    const unknown = uuidv7();
    const caller = await h.person('Lonely');
    for (const [bad, pattern] of [
      [unknown, /no user/],
      [suspended.id, /suspended/],
      ['not-an-id', /not a user id/],
    ] as const) {
      for (const kind of ['DIRECT', 'GROUP']) {
        const memberIds = kind === 'DIRECT' ? [bad] : [fine.id, bad];
        const response = await h.gql(CREATE_ROOM, { input: { kind, title: kind === 'GROUP' ? 'G' : null, memberIds } }, caller.headers);
        expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
        expect(response.errors![0].message).toContain(bad);
        expect(response.errors![0].message).toMatch(pattern);
      }
    }
    const rooms = await h.gql(ROOMS, {}, caller.headers);
    expect(rooms.data!.chatRooms.edges).toEqual([]);
  });

  test('users down → SERVICE_UNAVAILABLE saying so, and nothing is written', async () => {
    const chat = await h.startChat({ USERS_URL: 'http://127.0.0.1:9/graphql', CHAT_USERS_TIMEOUT_MS: '500' });
    const other = await h.person();
    for (const input of [
      { kind: 'DIRECT', memberIds: [other.id] },
      { kind: 'GROUP', title: 'G', memberIds: [other.id] },
    ]) {
      const down = await post(chat.url, CREATE_ROOM, { input }, me.headers);
      expect(down.errors![0].extensions!.code).toBe('SERVICE_UNAVAILABLE');
      expect(down.errors![0].message).toMatch(/users service did not answer.*Nothing was saved/);
    }
    const rooms = await post(chat.url, ROOMS, {}, me.headers);
    expect(rooms.data!.chatRooms.edges).toEqual([]);
  });
});

describe('chatRooms', () => {
  const PAGE = 'query($after: String) { chatRooms(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }';

  async function listAll(person: Person): Promise<string[][]> {
    const pages: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const response: GraphQLResponse = await h.gql(PAGE, { after }, person.headers);
      const { edges, pageInfo } = response.data!.chatRooms;
      pages.push(edges.map((edge: { node: { id: string } }) => edge.node.id));
      expect(pageInfo.hasPreviousPage).toBe(after !== null);
      if (!pageInfo.hasNextPage) return pages;
      after = pageInfo.endCursor;
    }
  }

  test('latest activity first: the last message, else creation; pages hold each room once', async () => {
    const owner = await h.person('Owner');
    const friend = await h.person('Friend');
    const [first, second, third] = [
      await createRoom(h, owner, 'GROUP', [friend.id], 'First'),
      await createRoom(h, owner, 'GROUP', [friend.id], 'Second'),
      await createRoom(h, owner, 'GROUP', [friend.id], 'Third'),
    ];
    expect(await listAll(owner)).toEqual([[third, second], [first]]);
    await send(h, friend, first, 'bump');
    expect(await listAll(owner)).toEqual([[first, third], [second]]);
    await send(h, owner, second, 'bump too');
    expect((await listAll(friend)).flat()).toEqual([second, first, third]);
  });

  test('a cursor that is not one → BAD_USER_INPUT naming after', async () => {
    const response = await h.gql(PAGE, { after: 'garbage' }, me.headers);
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('leaveChatRoom', () => {
  const LEAVE = 'mutation($r: ID!) { leaveChatRoom(roomId: $r) }';
  const ROOM = 'query($id: ID!) { chatRoom(id: $id) { members { id } unreadCount messages { edges { node { text } } } } }';

  test('a GROUP member who leaves loses the room; the others keep it and every message', async () => {
    const [a, b, c] = [await h.person(), await h.person(), await h.person()];
    const roomId = await createRoom(h, a, 'GROUP', [b.id, c.id], 'Leaving');
    await send(h, b, roomId, 'from b');
    expect((await h.gql(LEAVE, { r: roomId }, b.headers)).data!.leaveChatRoom).toBe(true);
    expect((await h.gql(ROOMS, {}, b.headers)).data!.chatRooms.edges).toEqual([]);
    expect((await h.gql(ROOM, { id: roomId }, b.headers)).errors![0].extensions!.code).toBe('FORBIDDEN');
    const seen = await h.gql(ROOM, { id: roomId }, c.headers);
    expect(seen.data!.chatRoom.members).toEqual([{ id: a.id }, { id: c.id }]);
    expect(seen.data!.chatRoom.messages.edges).toEqual([{ node: { text: 'from b' } }]);
  });

  test('the last member leaving leaves the room empty and unreadable; nothing is deleted', async () => {
    const [a, b] = [await h.person(), await h.person()];
    const roomId = await createRoom(h, a, 'GROUP', [b.id], 'Empty');
    await send(h, a, roomId, 'kept');
    for (const person of [a, b]) expect((await h.gql(LEAVE, { r: roomId }, person.headers)).data!.leaveChatRoom).toBe(true);
    for (const person of [a, b]) expect((await h.gql(ROOM, { id: roomId }, person.headers)).errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  test('DIRECT: the other person keeps the room; only the one who left can reopen it, with history and unread messages', async () => {
    const [leaver, stayer] = [await h.person('Leaver'), await h.person('Stayer')];
    const roomId = await createRoom(h, leaver, 'DIRECT', [stayer.id]);
    await send(h, stayer, roomId, 'before');
    await h.gql(LEAVE, { r: roomId }, leaver.headers);
    await send(h, stayer, roomId, 'while away');
    // The one who stayed cannot pull the other back in.
    expect(await createRoom(h, stayer, 'DIRECT', [leaver.id])).toBe(roomId);
    expect((await h.gql(ROOM, { id: roomId }, stayer.headers)).data!.chatRoom.members).toEqual([{ id: stayer.id }]);
    expect((await h.gql(ROOMS, {}, leaver.headers)).data!.chatRooms.edges).toEqual([]);

    expect(await createRoom(h, leaver, 'DIRECT', [stayer.id])).toBe(roomId);
    const reopened = await h.gql(ROOM, { id: roomId }, leaver.headers);
    expect(reopened.data!.chatRoom).toEqual({
      members: [{ id: leaver.id }, { id: stayer.id }],
      unreadCount: 2,
      messages: { edges: [{ node: { text: 'before' } }, { node: { text: 'while away' } }] },
    });
  });
});
