import { randomUUID } from 'node:crypto';
import type { Client, ExecutionResult } from 'graphql-ws';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, type SignedIn } from '@dorandoran/test-support/users';
import { eventually, health, within, wsClient } from '@dorandoran/test-support/ws';

/**
 * One upstream subscription per topic (subgraph, operation, variables, token) and the per-event
 * fetches shared by the subscribers of an event (docs/ARCHITECTURE.md, Subscriptions).
 */
let stack: Stack;
let alice: SignedIn;
let bob: SignedIn;
let carol: SignedIn;
const clients: Client[] = [];

beforeAll(async () => {
  stack = await startStack();
  alice = await signUp(stack, { nickname: 'Alice' });
  bob = await signUp(stack, { nickname: 'Bob' });
  carol = await signUp(stack, { nickname: 'Carol' });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await eventually(async () => (await chatSubscriptions()) === 0, 'every upstream subscription closed');
});
afterAll(() => stack?.close());

const MESSAGE_ADDED = 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text sender { id nickname avatarUrl } } }';

interface RouterStats {
  connections: number;
  subscriptions: number;
  upstreamConnections: number;
  upstreamSubscriptions: number;
  eventFetches: { sent: number; asked: number };
}
type MessageEvent = ExecutionResult<{ messageAdded: { id: string; text: string; sender: Record<string, unknown> } }>;

const routerStats = async (url = stack.routerUrl) => (await health<{ subscriptions: RouterStats }>(url)).subscriptions;
const chatSubscriptions = async () => (await health<{ subscriptions: number }>(stack.chatUrl)).subscriptions;
/** Requests the users subgraph has answered (its /metrics): the router's `_entities` calls among them. */
async function usersRequests(): Promise<number> {
  const text = await (await fetch(stack.usersUrl.replace(/\/graphql$/, '/metrics'))).text();
  return [...text.matchAll(/^graphql_request_duration_seconds_count\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

async function gql(query: string, variables: Record<string, unknown>, person: SignedIn): Promise<GraphQLResponse> {
  return post(stack.routerUrl, query, variables, person.headers);
}

async function groupRoom(creator: SignedIn, others: SignedIn[]): Promise<string> {
  const response = await gql('mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'GROUP', title: 'Shared', memberIds: others.map((other) => other.id) } }, creator);
  if (!response.data?.createChatRoom) throw new Error(JSON.stringify(response.errors));
  return response.data.createChatRoom.id;
}

async function send(sender: SignedIn, roomId: string, text: string) {
  const response = await gql('mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { roomId, text, clientMessageId: randomUUID() } }, sender);
  if (!response.data?.sendMessage) throw new Error(JSON.stringify(response.errors));
  return response.data.sendMessage as { id: string };
}

/** A new client connection of the person, subscribed; resolves once the router runs the subscription. */
async function subscribe(person: SignedIn, roomId: string, query = MESSAGE_ADDED, routerUrl = stack.routerUrl) {
  const client = wsClient(routerUrl, person.headers);
  clients.push(client);
  const before = (await routerStats(routerUrl)).subscriptions;
  const events = client.iterate({ query, variables: { roomId } }) as AsyncIterableIterator<MessageEvent>;
  const first = events.next();
  await Promise.race([eventually(async () => (await routerStats(routerUrl)).subscriptions > before, 'subscription running on the router'), first]);
  return { client, events, first };
}

/** Waits until chat serves as many subscriptions as the router holds upstream: the feeds are live. */
const upstreamsLive = async (count: number, routerUrl = stack.routerUrl) =>
  eventually(async () => (await routerStats(routerUrl)).upstreamSubscriptions === count && (await chatSubscriptions()) >= count, `${count} upstream subscriptions live`);

describe('one upstream subscription per topic', () => {
  test('a member and a non-member on one room: the non-member gets the FORBIDDEN refusal, the member\'s feed is unaffected', async () => {
    const roomId = await groupRoom(alice, [bob]);
    const member = await subscribe(alice, roomId);
    const outsider = await subscribe(carol, roomId);
    await expect(within(outsider.first)).resolves.toMatchObject({
      value: { errors: [expect.objectContaining({ message: expect.stringContaining('Only members'), extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })] },
    });
    await upstreamsLive(1);
    const sent = await send(bob, roomId, 'members only');
    expect(((await within(member.first)).value as MessageEvent).data!.messageAdded).toMatchObject({ id: sent.id, text: 'members only' });
    expect(await routerStats()).toMatchObject({ upstreamSubscriptions: 1 });
  });

  test('several connections of one token share one upstream; the last one leaving ends it', async () => {
    const roomId = await groupRoom(alice, [bob]);
    const three = [await subscribe(alice, roomId), await subscribe(alice, roomId), await subscribe(alice, roomId)];
    await upstreamsLive(1);
    expect(await routerStats()).toMatchObject({ subscriptions: 3, upstreamConnections: 1, upstreamSubscriptions: 1 });
    expect(await chatSubscriptions()).toBe(1);

    const sent = await send(bob, roomId, 'to all three');
    for (const { first } of three) expect(((await within(first)).value as MessageEvent).data!.messageAdded.id).toBe(sent.id);

    await three[0].client.dispose();
    await three[1].client.dispose();
    await eventually(async () => (await routerStats()).subscriptions === 1, 'two left');
    expect(await routerStats()).toMatchObject({ upstreamConnections: 1, upstreamSubscriptions: 1 });
    const next = await send(bob, roomId, 'to the one left');
    expect(((await within(three[2].events.next())).value as MessageEvent).data!.messageAdded.id).toBe(next.id);

    await three[2].client.dispose();
    await eventually(async () => (await routerStats()).upstreamSubscriptions === 0 && (await chatSubscriptions()) === 0, 'the upstream ended');
    expect(await routerStats()).toMatchObject({ subscriptions: 0, upstreamConnections: 0, upstreamSubscriptions: 0 });
  });

  test('a member who leaves the room stops receiving on every connection; the other member keeps receiving', async () => {
    const roomId = await groupRoom(alice, [bob]);
    const stays = await subscribe(alice, roomId);
    const leaving = [await subscribe(bob, roomId), await subscribe(bob, roomId)];
    await upstreamsLive(2);

    const left = await gql('mutation($id: ID!) { leaveChatRoom(roomId: $id) }', { id: roomId }, bob);
    expect(left.data).toEqual({ leaveChatRoom: true });
    for (const { first } of leaving) expect((await within(first)).done).toBe(true);
    await eventually(async () => (await routerStats()).upstreamSubscriptions === 1, "the leaver's upstream ended");

    const after = await send(alice, roomId, 'after Bob left');
    expect(((await within(stays.first)).value as MessageEvent).data!.messageAdded.id).toBe(after.id);
  });
});

describe('per-event fetches shared when the answer cannot differ by viewer', () => {
  test('one message to 4 subscribers of 2 viewers: one `_entities` call for the sender\'s public fields', async () => {
    const roomId = await groupRoom(alice, [bob]);
    const subscribers = [await subscribe(alice, roomId), await subscribe(alice, roomId), await subscribe(bob, roomId), await subscribe(bob, roomId)];
    await upstreamsLive(2);
    const usersBefore = await usersRequests();
    const fetchesBefore = (await routerStats()).eventFetches;

    const sent = await send(alice, roomId, 'count the calls');
    for (const { first } of subscribers) {
      expect(((await within(first)).value as MessageEvent).data!.messageAdded).toEqual({ id: sent.id, text: 'count the calls', sender: { id: alice.id, nickname: 'Alice', avatarUrl: null } });
    }
    const fetches = (await routerStats()).eventFetches;
    // Asked once per topic (a token's subscribers with one plan share its result), sent once for both.
    expect({ sent: fetches.sent - fetchesBefore.sent, asked: fetches.asked - fetchesBefore.asked }).toEqual({ sent: 1, asked: 2 });
    // sendMessage itself asks users nothing; the one request users served is the shared fetch.
    expect((await usersRequests()) - usersBefore).toBe(1);
  });

  test('a field only its owner may see goes per viewer: the owner gets it, another member gets the refusal, never the owner\'s answer', async () => {
    const roomId = await groupRoom(alice, [bob]);
    const query = 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id sender { nickname dormantSince } } }';
    const owner = await subscribe(alice, roomId, query);
    const other = await subscribe(bob, roomId, query);
    await upstreamsLive(2);
    const fetchesBefore = (await routerStats()).eventFetches;

    await send(alice, roomId, 'whose field');
    const ownerEvent = (await within(owner.first)).value as MessageEvent;
    expect(ownerEvent.errors).toBeUndefined();
    expect(ownerEvent.data!.messageAdded.sender).toEqual({ nickname: 'Alice', dormantSince: null });
    const otherEvent = (await within(other.first)).value as MessageEvent;
    expect(otherEvent.errors).toEqual([expect.objectContaining({ path: ['messageAdded', 'sender', 'dormantSince'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    // The fetch asks for a viewer-dependent field, so each viewer's went on its own.
    const fetches = (await routerStats()).eventFetches;
    expect(fetches.sent - fetchesBefore.sent).toBe(2);
  });

  test('a nickname changed between two messages is in the next event', async () => {
    const roomId = await groupRoom(alice, [bob]);
    const { events, first } = await subscribe(alice, roomId);
    await upstreamsLive(1);
    await send(bob, roomId, 'before');
    expect(((await within(first)).value as MessageEvent).data!.messageAdded.sender).toMatchObject({ nickname: 'Bob' });

    const renamed = await gql('mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { nickname } }', { input: { nickname: 'Robert' } }, bob);
    expect(renamed.data).toEqual({ updateProfile: { nickname: 'Robert' } });
    await send(bob, roomId, 'after');
    expect(((await within(events.next())).value as MessageEvent).data!.messageAdded.sender).toMatchObject({ nickname: 'Robert' });
  });
});

const sharedInfra = process.env.DATABASE_URL && process.env.REDIS_URL ? describe : describe.skip;

sharedInfra('two routers on one Redis', () => {
  test('each router holds its own upstream per topic; a message reaches the subscribers of both; the last leaver on each ends that router\'s upstream', async () => {
    const router2 = await stack.startRouter();
    const roomId = await groupRoom(alice, [bob]);
    const onFirst = [await subscribe(alice, roomId), await subscribe(alice, roomId)];
    const onSecond = [await subscribe(alice, roomId, MESSAGE_ADDED, router2.url), await subscribe(alice, roomId, MESSAGE_ADDED, router2.url)];
    await upstreamsLive(1);
    await upstreamsLive(1, router2.url);
    await eventually(async () => (await chatSubscriptions()) === 2, 'one upstream per router on chat');

    const sent = await send(bob, roomId, 'to both routers');
    for (const { first } of [...onFirst, ...onSecond]) {
      expect(((await within(first)).value as MessageEvent).data!.messageAdded).toMatchObject({ id: sent.id, sender: { id: bob.id } });
    }

    for (const { client } of onSecond) await client.dispose();
    await eventually(async () => (await routerStats(router2.url)).upstreamSubscriptions === 0 && (await chatSubscriptions()) === 1, "the second router's upstream ended");
    expect(await routerStats()).toMatchObject({ upstreamSubscriptions: 1 });
  });
});
