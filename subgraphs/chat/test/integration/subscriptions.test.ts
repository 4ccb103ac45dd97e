import { randomUUID } from 'node:crypto';
import type { Client, ExecutionResult } from 'graphql-ws';
import { eventually, within, wsClient } from '@dorandoran/test-support/ws';
import { activeSubscriptions, createRoom, send, startHarness, trusted, type ChatHarness, type Person } from '../helpers/harness';

let h: ChatHarness;
let alice: Person;
let bob: Person;
const clients: Client[] = [];
beforeAll(async () => {
  h = await startHarness();
  [alice, bob] = [await h.person('Alice'), await h.person('Bob')];
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await eventually(async () => (await activeSubscriptions(h.chat.url)) === 0, 'subscriptions ended');
});
afterAll(() => h?.close());

const MESSAGE_ADDED = 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text createdAt sender { id } room { id unreadCount } } }';

function connect(url: string, params: Record<string, string>): Client {
  const client = wsClient(url, params);
  clients.push(client);
  return client;
}

/** Subscribes and waits until the subgraph serves it (its /health counts it). */
async function subscribe(url: string, person: Person | null, roomId: string) {
  const before = await activeSubscriptions(url);
  const events = connect(url, person ? person.headers : trusted).iterate({ query: MESSAGE_ADDED, variables: { roomId } });
  const first = events.next();
  await Promise.race([eventually(async () => (await activeSubscriptions(url)) > before, 'subscription live'), first]);
  return { events, first };
}

describe('Connect', () => {
  test('a bad token closes the socket with 4403, so the client refreshes it', async () => {
    const client = connect(h.chat.url, { ...trusted, authorization: 'Bearer not-a-token' });
    const refused = client.iterate({ query: MESSAGE_ADDED, variables: { roomId: randomUUID() } }).next();
    await expect(refused).rejects.toMatchObject({ code: 4403 });
  });

  test("a member's valid token without the router secret closes the socket with 4403, naming the router", async () => {
    const roomId = await createRoom(h, alice, 'DIRECT', [bob.id]);
    const client = connect(h.chat.url, { authorization: `Bearer ${bob.token}` });
    const refused = client.iterate({ query: MESSAGE_ADDED, variables: { roomId } }).next();
    await expect(refused).rejects.toMatchObject({ code: 4403, reason: expect.stringMatching(/^ROUTER_SECRET_REQUIRED: .*router/) });
  });
});

describe('Subscribe', () => {
  test('a member receives each message sent to the room, with fields read fresh per event', async () => {
    const roomId = await createRoom(h, alice, 'DIRECT', [bob.id]);
    const { events, first } = await subscribe(h.chat.url, bob, roomId);
    expect(await activeSubscriptions(h.chat.url)).toBe(1);
    const sent = await send(h, alice, roomId, 'hello, live');
    expect((await within(first)).value).toEqual({
      data: { messageAdded: { id: sent.id, text: 'hello, live', createdAt: sent.createdAt, sender: { id: alice.id }, room: { id: roomId, unreadCount: 1 } } },
    });
    await send(h, alice, roomId, 'again');
    const second = (await within(events.next())).value as ExecutionResult<{ messageAdded: { text: string; room: { unreadCount: number } } }>;
    expect(second.data!.messageAdded).toMatchObject({ text: 'again', room: { unreadCount: 2 } });
  });

  test('a non-member → FORBIDDEN for that operation only; the socket serves the next one', async () => {
    const eve = await h.person('Eve');
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id], 'Closed');
    const client = connect(h.chat.url, eve.headers);
    const refused = await within(client.iterate({ query: MESSAGE_ADDED, variables: { roomId } }).next());
    expect((refused.value as ExecutionResult).errors![0].extensions!.code).toBe('FORBIDDEN');
    const own = await createRoom(h, eve, 'DIRECT', [alice.id]);
    const events = client.iterate({ query: MESSAGE_ADDED, variables: { roomId: own } });
    const next = events.next();
    await eventually(async () => (await activeSubscriptions(h.chat.url)) === 1, 'subscription live');
    await send(h, alice, own, 'to eve');
    expect(((await within(next)).value as ExecutionResult<{ messageAdded: { text: string } }>).data!.messageAdded.text).toBe('to eve');
  });

  test('through the router without a token (router secret only) → UNAUTHENTICATED', async () => {
    const roomId = await createRoom(h, alice, 'DIRECT', [bob.id]);
    const refused = await within(connect(h.chat.url, trusted).iterate({ query: MESSAGE_ADDED, variables: { roomId } }).next());
    expect((refused.value as ExecutionResult).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('Complete', () => {
  test('a member who leaves stops receiving: the subscription completes', async () => {
    const carol = await h.person('Carol');
    const roomId = await createRoom(h, alice, 'GROUP', [bob.id, carol.id], 'Leavers');
    const { first } = await subscribe(h.chat.url, carol, roomId);
    const left = await h.gql('mutation($r: ID!) { leaveChatRoom(roomId: $r) }', { r: roomId }, carol.headers);
    expect(left.data!.leaveChatRoom).toBe(true);
    expect(await within(first)).toEqual({ done: true, value: undefined });
    await eventually(async () => (await activeSubscriptions(h.chat.url)) === 0, 'subscription ended');
    // Bob's own subscription is untouched by Carol leaving.
    const { first: bobs } = await subscribe(h.chat.url, bob, roomId);
    await send(h, alice, roomId, 'still here');
    expect(((await within(bobs)).value as ExecutionResult<{ messageAdded: { text: string } }>).data!.messageAdded.text).toBe('still here');
  });

  test('a client that completes is no longer counted', async () => {
    const roomId = await createRoom(h, alice, 'DIRECT', [bob.id]);
    const { events } = await subscribe(h.chat.url, bob, roomId);
    await events.return!();
    await eventually(async () => (await activeSubscriptions(h.chat.url)) === 0, 'subscription ended');
  });
});

const sharedInfra = process.env.REDIS_URL && process.env.DATABASE_URL ? describe : describe.skip;

sharedInfra('two chat instances sharing Redis and PostgreSQL', () => {
  test('a message sent on one reaches a subscriber on the other exactly once', async () => {
    const other = await h.startChat({}, { ...h.chatDatabase, dropOnClose: false });
    const roomId = await createRoom(h, alice, 'DIRECT', [bob.id]);
    const { events, first } = await subscribe(other.url, bob, roomId);
    const one = await send(h, alice, roomId, 'across instances', randomUUID());
    expect(((await within(first)).value as ExecutionResult<{ messageAdded: { id: string } }>).data!.messageAdded.id).toBe(one.id);
    // Events of one room keep their order: a duplicate of the first would arrive before the second.
    const two = await send(h, alice, roomId, 'and again');
    expect(((await within(events.next())).value as ExecutionResult<{ messageAdded: { id: string } }>).data!.messageAdded.id).toBe(two.id);
    await events.return!();
    await eventually(async () => (await activeSubscriptions(other.url)) === 0, 'subscription ended on the other instance');
  });
});
