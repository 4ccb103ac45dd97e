import { randomUUID } from 'node:crypto';
import type { RunningService } from '@dorandoran/service-kit';
import { post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';
import { eventually } from '@dorandoran/test-support/ws';

/**
 * The router's entity cache (docs/ARCHITECTURE.md, Entity cache): public profile fields of a
 * room's senders come from users once, then from the cache (Redis in CI, shared by two routers),
 * until a profile change drops them; viewer-dependent fields never go through it.
 */
let stack: Stack;
let alice: SignedIn;
let bob: SignedIn;
let admin: SignedIn;
let roomId: string;
let secondRouter: RunningService;

const MESSAGES = 'query($id: ID!) { chatRoom(id: $id) { messages(last: 20) { edges { node { text sender { id nickname avatarUrl } } } } } }';
const WITH_DORMANCY = 'query($id: ID!) { chatRoom(id: $id) { messages(last: 20) { edges { node { sender { id nickname dormantSince } } } } } }';

beforeAll(async () => {
  stack = await startStack();
  [alice, bob, admin] = await Promise.all([signUp(stack, { nickname: 'Alice' }), signUp(stack, { nickname: 'Bob' }), signUpAdmin(stack)]);
  const created = await post(stack.routerUrl, 'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'GROUP', title: 'Cached', memberIds: [bob.id, admin.id] } }, alice.headers);
  roomId = created.data!.createChatRoom.id;
  for (const [person, text] of [[alice, 'hello'], [bob, 'hi'], [admin, 'welcome']] as const) {
    const sent = await post(stack.routerUrl, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { roomId, text, clientMessageId: randomUUID() } }, person.headers);
    expect(sent.errors).toBeUndefined();
  }
  secondRouter = await stack.startRouter();
});
afterAll(() => stack?.close());

/** Requests users has answered (its /metrics): the routers' `_entities` calls among them. */
async function usersCalls(): Promise<number> {
  const text = await (await fetch(stack.usersUrl.replace(/\/graphql$/, '/metrics'))).text();
  return [...text.matchAll(/^graphql_request_duration_seconds_count\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** A router's entity cache lookups on users so far, by result. */
async function cacheLookups(routerUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(routerUrl.replace(/\/graphql$/, '/metrics'))).text();
  return Object.fromEntries([...text.matchAll(/^entity_cache_lookups_total\{(?=[^}]*subgraph="users")[^}]*result="(\w+)"[^}]*\} (\d+)/gm)].map((match) => [match[1], Number(match[2])]));
}

const senders = (data: any) => data.chatRoom.messages.edges.map((edge: any) => edge.node.sender.nickname);

test('a room asked again gets its senders from the cache: users is not called, the answer is the same', async () => {
  const first = await post(stack.routerUrl, MESSAGES, { id: roomId }, bob.headers);
  expect(first.errors).toBeUndefined();
  expect(senders(first.data)).toEqual(['Alice', 'Bob', expect.stringMatching(/./)]);
  const calls = await usersCalls();
  const before = await cacheLookups(stack.routerUrl);

  const again = await post(stack.routerUrl, MESSAGES, { id: roomId }, alice.headers);
  expect(again.data).toStrictEqual(first.data);
  expect(again.errors).toBeUndefined();
  expect(await usersCalls()).toBe(calls);
  const after = await cacheLookups(stack.routerUrl);
  expect((after.hit ?? 0) - (before.hit ?? 0)).toBe(3);
  expect((after.miss ?? 0) - (before.miss ?? 0)).toBe(0);
});

test('a second router instance on the same Redis finds what the first cached', async () => {
  await post(stack.routerUrl, MESSAGES, { id: roomId }, bob.headers);
  const calls = await usersCalls();
  const answer = await post(secondRouter.url, MESSAGES, { id: roomId }, bob.headers);
  expect(senders(answer.data)).toEqual(['Alice', 'Bob', expect.stringMatching(/./)]);
  if (process.env.REDIS_URL) expect(await usersCalls()).toBe(calls);
});

test('a nickname change is seen on both routers once users’ event has reached them, and is then cached again', async () => {
  await post(stack.routerUrl, MESSAGES, { id: roomId }, bob.headers);
  const changed = await post(stack.routerUrl, 'mutation { updateProfile(input: { nickname: "Alicia" }) { nickname } }', undefined, alice.headers);
  expect(changed.data).toEqual({ updateProfile: { nickname: 'Alicia' } });

  for (const url of [stack.routerUrl, secondRouter.url]) {
    await eventually(async () => senders((await post(url, MESSAGES, { id: roomId }, bob.headers)).data)[0] === 'Alicia', `the new nickname through ${url}`, 10_000);
  }
  const calls = await usersCalls();
  expect(senders((await post(stack.routerUrl, MESSAGES, { id: roomId }, bob.headers)).data)[0]).toBe('Alicia');
  expect(await usersCalls()).toBe(calls);
});

test('a fetch that asks for a viewer-dependent field is never cached: each viewer gets what they may see', async () => {
  const calls = await usersCalls();
  const asAlice = await post(stack.routerUrl, WITH_DORMANCY, { id: roomId }, alice.headers);
  const asAdmin = await post(stack.routerUrl, WITH_DORMANCY, { id: roomId }, admin.headers);
  const asBob = await post(stack.routerUrl, WITH_DORMANCY, { id: roomId }, bob.headers);
  // Each asked users itself.
  expect(await usersCalls()).toBe(calls + 3);
  // Messages: Alice's, Bob's, the administrator's. Each may see their own dormancy; the administrator everyone's.
  const refusedAt = (answer: typeof asAlice) =>
    (answer.errors ?? []).map((error) => {
      expect(error.extensions?.code).toBe('FORBIDDEN');
      return error.path?.[3];
    });
  expect(refusedAt(asAlice)).toEqual([1, 2]);
  expect(refusedAt(asBob)).toEqual([0, 2]);
  expect(refusedAt(asAdmin)).toEqual([]);
  expect(asAdmin.data!.chatRoom.messages.edges.map((edge: any) => edge.node.sender.dormantSince)).toEqual([null, null, null]);
});

test('ENTITY_CACHE_TTL_SECONDS=0 turns it off: every request asks users', async () => {
  const uncached = await stack.startRouter({ ENTITY_CACHE_TTL_SECONDS: '0' });
  await post(uncached.url, MESSAGES, { id: roomId }, bob.headers);
  const calls = await usersCalls();
  await post(uncached.url, MESSAGES, { id: roomId }, bob.headers);
  expect(await usersCalls()).toBe(calls + 1);
  expect(await cacheLookups(uncached.url)).toEqual({});
});
