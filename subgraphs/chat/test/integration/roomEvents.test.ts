import type { Client, ExecutionResult } from 'graphql-ws';
import { eventually, within, wsClient } from '@dorandoran/test-support/ws';
import { activeSubscriptions, createRoom, send, startHarness, trusted, type ChatHarness, type Person } from '../helpers/harness';

let h: ChatHarness;
let alice: Person;
let bob: Person;
let carol: Person;
const clients: Client[] = [];
beforeAll(async () => {
  h = await startHarness();
  [alice, bob, carol] = [await h.person('Alice'), await h.person('Bob'), await h.person('Carol')];
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await eventually(async () => (await activeSubscriptions(h.chat.url)) === 0, 'subscriptions ended');
});
afterAll(() => h?.close());

const ROOM_EVENTS = `subscription {
  chatRoomEvents { kind room { id title unreadCount members { id } } message { id text unreadCount sender { id } } }
}`;

interface RoomEvent {
  kind: 'JOINED' | 'MESSAGE' | 'READ' | 'LEFT';
  room: { id: string; title: string | null; unreadCount: number; members: { id: string }[] };
  message: { id: string; text: string; unreadCount: number; sender: { id: string } } | null;
}

/** A person's chatRoomEvents, subscribed and served by the subgraph before it returns. */
async function follow(person: Person | null) {
  const before = await activeSubscriptions(h.chat.url);
  const client = wsClient(h.chat.url, person ? person.headers : trusted);
  clients.push(client);
  const events = client.iterate({ query: ROOM_EVENTS });
  let pending = events.next();
  await Promise.race([eventually(async () => (await activeSubscriptions(h.chat.url)) > before, 'chatRoomEvents live'), pending]);
  return {
    /** The next event, within 5 s. */
    async next(): Promise<RoomEvent> {
      const result = (await within(pending)) as IteratorResult<ExecutionResult<{ chatRoomEvents: RoomEvent }>>;
      pending = events.next();
      if (result.done) throw new Error('the subscription ended');
      if (result.value.errors) throw new Error(JSON.stringify(result.value.errors));
      return result.value.data!.chatRoomEvents;
    },
    raw: () => within(pending),
  };
}

const MARK_READ = 'mutation($r: ID!, $m: ID!) { markRoomRead(roomId: $r, messageId: $m) { id } }';
const UNREAD = 'query($r: ID!) { chatRoom(id: $r) { messages { edges { node { text unreadCount } } } } }';

describe('Subscribe', () => {
  test('a room created with the caller arrives as JOINED, then its messages (with the caller\'s unread count) and reads', async () => {
    const bobs = await follow(bob);
    const alices = await follow(alice);
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Picnic');

    const joined = await bobs.next();
    expect(joined).toMatchObject({ kind: 'JOINED', room: { id: roomId, title: 'Picnic', unreadCount: 0 }, message: null });
    expect(joined.room.members.map((member) => member.id).sort()).toEqual([alice.id, bob.id].sort());
    expect(await alices.next()).toMatchObject({ kind: 'JOINED', room: { id: roomId } });

    const sent = await send(h, alice, roomId, 'sandwiches?');
    expect(await bobs.next()).toMatchObject({
      kind: 'MESSAGE',
      room: { id: roomId, unreadCount: 1 },
      message: { id: sent.id, text: 'sandwiches?', unreadCount: 1, sender: { id: alice.id } },
    });
    // The sender's own list (their other devices) hears of it too, with nothing unread for them.
    expect(await alices.next()).toMatchObject({ kind: 'MESSAGE', room: { id: roomId, unreadCount: 0 }, message: { id: sent.id } });

    // Bob reads it: the sender sees the message's number drop; Bob's other devices see the room read.
    const bobsOtherDevice = await follow(bob);
    expect((await h.gql(MARK_READ, { r: roomId, m: sent.id }, bob.headers)).errors).toBeUndefined();
    expect(await alices.next()).toMatchObject({ kind: 'READ', room: { id: roomId, unreadCount: 0 }, message: { id: sent.id, unreadCount: 0 } });
    expect(await bobsOtherDevice.next()).toMatchObject({ kind: 'READ', room: { id: roomId, unreadCount: 0 }, message: { id: sent.id } });
    expect(await bobs.next()).toMatchObject({ kind: 'READ', room: { id: roomId } });

    // Reading the same message again moves no mark and tells nobody: the next event is the next message.
    expect((await h.gql(MARK_READ, { r: roomId, m: sent.id }, bob.headers)).errors).toBeUndefined();
    const second = await send(h, alice, roomId, 'and lemonade');
    expect(await alices.next()).toMatchObject({ kind: 'MESSAGE', message: { id: second.id } });
  });

  test('a non-member hears nothing of other people\'s rooms: their next event is of their own room', async () => {
    const eve = await h.person('Eve');
    const eves = await follow(eve);
    const roomId = await createRoom(h, alice, 'DIRECT', [bob.id]);
    const sent = await send(h, alice, roomId, 'private');
    expect((await h.gql(MARK_READ, { r: roomId, m: sent.id }, bob.headers)).errors).toBeUndefined();
    expect((await h.gql('mutation($r: ID!) { leaveChatRoom(roomId: $r) }', { r: roomId }, bob.headers)).errors).toBeUndefined();

    const own = await createRoom(h, alice, 'DIRECT', [eve.id]);
    expect(await eves.next()).toMatchObject({ kind: 'JOINED', room: { id: own } });
  });

  test('without a token (router secret only) → UNAUTHENTICATED for that operation', async () => {
    const refused = await within(wsClient(h.chat.url, trusted).iterate({ query: ROOM_EVENTS }).next());
    expect((refused.value as ExecutionResult).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('Complete', () => {
  test('a member who leaves gets LEFT (the room as they left it), the others LEFT without them; then nothing more of that room', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id, carol.id], 'Leavers');
    const [alices, carols] = [await follow(alice), await follow(carol)];
    expect((await h.gql('mutation($r: ID!) { leaveChatRoom(roomId: $r) }', { r: roomId }, carol.headers)).data).toEqual({ leaveChatRoom: true });

    const own = await carols.next();
    expect(own).toMatchObject({ kind: 'LEFT', room: { id: roomId, title: 'Leavers' } });
    expect(own.room.members.map((member) => member.id)).not.toContain(carol.id);
    const seen = await alices.next();
    expect(seen.kind).toBe('LEFT');
    expect(seen.room.members.map((member) => member.id).sort()).toEqual([alice.id, bob.id].sort());

    await send(h, alice, roomId, 'she is gone');
    expect(await alices.next()).toMatchObject({ kind: 'MESSAGE', message: { text: 'she is gone' } });
    const next = await createRoom(h, bob, 'DIRECT', [carol.id]);
    expect(await carols.next()).toMatchObject({ kind: 'JOINED', room: { id: next } });
  });

  test('one who left a DIRECT room and opens it again gets JOINED, with its history', async () => {
    const dan = await h.person('Dan');
    const roomId = await createRoom(h, alice, 'DIRECT', [dan.id]);
    await send(h, alice, roomId, 'before you left');
    expect((await h.gql('mutation($r: ID!) { leaveChatRoom(roomId: $r) }', { r: roomId }, dan.headers)).errors).toBeUndefined();
    const dans = await follow(dan);
    expect(await createRoom(h, dan, 'DIRECT', [alice.id])).toBe(roomId);
    expect(await dans.next()).toMatchObject({ kind: 'JOINED', room: { id: roomId, unreadCount: 1 } });
  });
});

describe('Message.unreadCount', () => {
  test('counts the members other than the sender who have not read the message; leavers no longer count', async () => {
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id, carol.id], 'Counting');
    const first = await send(h, alice, roomId, 'one');
    const second = await send(h, alice, roomId, 'two');
    const counts = async () =>
      ((await h.gql(UNREAD, { r: roomId }, alice.headers)).data!.chatRoom.messages.edges as { node: { text: string; unreadCount: number } }[]).map(
        (edge) => [edge.node.text, edge.node.unreadCount],
      );
    expect(await counts()).toEqual([['one', 2], ['two', 2]]);
    await h.gql(MARK_READ, { r: roomId, m: first.id }, bob.headers);
    expect(await counts()).toEqual([['one', 1], ['two', 2]]);
    // Reading up to a message reads the ones before it too.
    await h.gql(MARK_READ, { r: roomId, m: second.id }, carol.headers);
    expect(await counts()).toEqual([['one', 0], ['two', 1]]);
    await h.gql('mutation($r: ID!) { leaveChatRoom(roomId: $r) }', { r: roomId }, bob.headers);
    expect(await counts()).toEqual([['one', 0], ['two', 0]]);
    // The sender's own reply counts Alice, who has not read it.
    await send(h, carol, roomId, 'three');
    expect((await counts()).at(-1)).toEqual(['three', 1]);
  });
});
