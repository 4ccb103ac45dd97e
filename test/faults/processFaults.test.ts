import { randomUUID } from 'node:crypto';
import { startProcessStack, type ProcessStack } from '@dorandoran/test-support/processes';
import { canRunRedisServer, startRedisServer, type RedisServer } from '@dorandoran/test-support/redisServer';
import {
  CHAT_ROOMS,
  chatSubscriptions,
  createRoom,
  follow,
  ME,
  ok,
  PRODUCTS,
  request,
  roomTexts,
  SEND,
  sendMessage,
  signUp,
  sleep,
  startLoad,
  tally,
  timeUntil,
  withServiceLog,
  type Follower,
  type Person,
} from './helpers';

/**
 * A subgraph and the router killed and restarted as real processes, under load and with live
 * subscriptions: what an operator sees during the outage and how long recovery takes.
 */

/** The router's per-subgraph timeout here; no request may take longer than this (plus slack for a busy machine). */
const SUBGRAPH_TIMEOUT_MS = 5000;
const CLIENT_TIMEOUT_MS = SUBGRAPH_TIMEOUT_MS + 3000;

/** sendMessage straight to the chat subgraph, as a router forwards it (its secret and the caller's token). */
const sendMessageVia = (chatUrl: string, text: string) =>
  request(chatUrl, 'sendMessage', SEND, { input: { roomId, text, clientMessageId: randomUUID() } }, { ...alice.headers, 'x-router-secret': stack.routerSecret }, CLIENT_TIMEOUT_MS);

const suite = canRunRedisServer ? describe : describe.skip;

let redis: RedisServer;
let stack: ProcessStack;
let alice: Person;
let bob: Person;
let roomId: string;
const followers: Follower[] = [];

suite('a process killed and restarted', () => {
  beforeAll(async () => {
    redis = await startRedisServer();
    stack = await startProcessStack({ redisUrl: redis.url, env: { SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS) } });
    await withServiceLog(stack, async () => {
      alice = await signUp(stack.routerUrl, 'Alice');
      bob = await signUp(stack.routerUrl, 'Bob');
      roomId = await createRoom(stack.routerUrl, alice, bob);
    });
  }, 180_000);

  // A test's subscriptions end with it: one left open with a token the next test uses would be
  // shared by that test's clients (one upstream per token and room) and blur its counts.
  afterEach(async () => {
    await Promise.all(followers.splice(0).map((follower) => follower.dispose()));
    await timeUntil(async () => (await chatSubscriptions(stack)) === 0, 'the last test\'s subscriptions ended on chat', 15_000);
  }, 30_000);

  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  }, 60_000);

  test('chat SIGKILLed under load: the rest answers, chat fields say SERVICE_UNAVAILABLE, nothing hangs or 500s, chat comes back with its data', () =>
    withServiceLog(stack, async () => {
      const before = await sendMessage(stack.routerUrl, alice, roomId, 'sent before the kill');
      expect(ok(before)).toBe(true);
      const subscriber = follow(stack.routerUrl, bob, roomId, { retry: false });
      followers.push(subscriber);
      await timeUntil(async () => (await chatSubscriptions(stack)) >= 1, 'subscription live on chat', 10_000);

      const load = startLoad(
        stack.routerUrl,
        [
          { label: 'products', query: PRODUCTS },
          { label: 'me', query: ME, headers: alice.headers },
          { label: 'chatRooms', query: CHAT_ROOMS, headers: alice.headers },
        ],
        { intervalMs: 250, timeoutMs: CLIENT_TIMEOUT_MS },
      );
      await sleep(1000);

      await stack.services.chat.kill('SIGKILL');
      const killedAt = Date.now();
      // While chat is down: the other subgraphs' fields in the same query still answer.
      await sleep(1500);
      const mixed = await request(stack.routerUrl, 'me+chatRooms', `{ me { id } chatRooms(first: 5) { edges { node { id } } } }`, {}, alice.headers, CLIENT_TIMEOUT_MS);
      const sendWhileDown = await sendMessage(stack.routerUrl, alice, roomId, 'sent while chat is down', CLIENT_TIMEOUT_MS);

      const restartedAt = Date.now();
      await stack.services.chat.start();
      const chatReadyMs = Date.now() - restartedAt;
      // From the moment chat is back, Alice keeps sending, straight to chat as another router
      // instance would forward it. The live subscription must then either resume with every one of
      // them or end — its socket closed with 1012 (service restart), or SERVICE_UNAVAILABLE — so the
      // client subscribes again and fetches what it missed; resuming after a silent gap would lose
      // messages for good.
      const sentAfter: string[] = [];
      const [recoveryMs, resumedOrEndedMs] = await Promise.all([
        timeUntil(
          async () => ok(await request(stack.routerUrl, 'chatRooms', CHAT_ROOMS, {}, alice.headers, CLIENT_TIMEOUT_MS)),
          'chatRooms answering after the restart',
          30_000,
        ),
        timeUntil(
          async () => {
            const text = `after the chat restart #${sentAfter.length + 1}`;
            if (ok(await sendMessageVia(stack.services.chat.url, text))) sentAfter.push(text);
            return sentAfter.some((text) => subscriber.received(text)) || subscriber.ended !== undefined;
          },
          'subscription resumed or ended',
          25_000,
          250,
        ),
      ]);
      const answeredAgainAt = restartedAt + chatReadyMs + recoveryMs;
      await sleep(1000);
      const outcomes = await load.stop();

      const resumed = sentAfter.some((text) => subscriber.received(text));
      // Sent from the moment chat was ready, before the first one the subscription delivered.
      const missed = resumed ? sentAfter.slice(0, sentAfter.findIndex((text) => subscriber.received(text))) : [];
      const endErrors = (subscriber.events.at(-1)?.result.errors ?? []).map((error) => error.extensions?.code);
      const closeCode = (subscriber.ended?.error as { code?: number } | undefined)?.code;
      if (!resumed) {
        // Subscribing again is what the client does next: it works.
        const again = follow(stack.routerUrl, bob, roomId, { retry: false });
        followers.push(again);
        await timeUntil(async () => (await chatSubscriptions(stack)) >= 1, 'new subscription live on chat', 10_000);
        expect(ok(await sendMessage(stack.routerUrl, alice, roomId, 'sent to the new subscription'))).toBe(true);
        await timeUntil(async () => again.received('sent to the new subscription'), 'the new subscription gets messages', 10_000);
      }
      const subscriptionFate = resumed
        ? `resumed ${resumedOrEndedMs} ms after chat was ready; of ${sentAfter.length} messages sent from then on it missed ${missed.length} (${missed.join(', ') || 'none'}), with no error`
        : `ended ${resumedOrEndedMs} ms after chat was ready (${endErrors.join(', ') || `closed ${closeCode}`}); a new subscription gets messages`;

      const down = outcomes.filter((outcome) => outcome.at >= killedAt && outcome.at < answeredAgainAt);
      console.log(
        [
          'FAULT chat SIGKILL + restart under load',
          `  chat process ready ${chatReadyMs} ms after spawn; chatRooms answered again ${recoveryMs} ms after that (${answeredAgainAt - killedAt} ms after the kill)`,
          `  while down: ${tally(down)}`,
          `  me+chatRooms while down: ${mixed.status} ${JSON.stringify(mixed.data)} ${mixed.codes.join(',')}`,
          `  sendMessage while down: ${sendWhileDown.status} ${sendWhileDown.codes.join(',')}`,
          `  whole run: ${tally(outcomes)}; slowest ${Math.max(...outcomes.map((outcome) => outcome.ms))} ms`,
          `  live subscription: ${subscriptionFate}`,
        ].join('\n'),
      );

      // Nothing hung, nothing was a 500, anything other than an answer was SERVICE_UNAVAILABLE.
      expect(outcomes.filter((outcome) => typeof outcome.status !== 'number' || outcome.status >= 500 && outcome.status !== 503)).toEqual([]);
      expect(outcomes.filter((outcome) => !ok(outcome) && !outcome.codes.every((code) => code === 'SERVICE_UNAVAILABLE'))).toEqual([]);
      // The other subgraphs answered throughout.
      expect(outcomes.filter((outcome) => outcome.label !== 'chatRooms' && !ok(outcome))).toEqual([]);
      expect(down.filter((outcome) => outcome.label === 'chatRooms').length).toBeGreaterThan(0);
      expect(mixed).toMatchObject({ status: 200, data: { me: { id: alice.id }, chatRooms: null }, codes: ['SERVICE_UNAVAILABLE'] });
      expect(sendWhileDown).toMatchObject({ status: 503, codes: ['SERVICE_UNAVAILABLE'] });
      // No data lost: the message sent before the kill is still there, the one refused while down never appears.
      const texts = await roomTexts(stack.routerUrl, bob, roomId);
      expect(texts).toContain('sent before the kill');
      expect(texts).not.toContain('sent while chat is down');
      if (resumed) expect(missed).toEqual([]);
      else expect(endErrors.length > 0 ? endErrors : closeCode).toEqual(endErrors.length > 0 ? ['SERVICE_UNAVAILABLE'] : 1012);
    }), 120_000);

  test('the router restarted while clients hold subscriptions: they reconnect, subscribe again and get the next message', () =>
    withServiceLog(stack, async () => {
      const baseline = await chatSubscriptions(stack);
      const clients = [alice, bob, alice].map((person) => follow(stack.routerUrl, person, roomId, { retry: true }));
      followers.push(...clients);
      // Alice's two clients share one upstream subscription (one per token and room).
      await timeUntil(async () => (await chatSubscriptions(stack)) >= baseline + 2, 'subscriptions live on chat', 15_000);
      expect(ok(await sendMessage(stack.routerUrl, alice, roomId, 'before the router restart'))).toBe(true);
      await timeUntil(async () => clients.every((client) => client.received('before the router restart')), 'every client gets the message', 10_000);

      await stack.services.router.kill('SIGKILL');
      const killedAt = Date.now();
      await stack.services.router.start();
      const routerReadyMs = Date.now() - killedAt;

      // Keep sending until every client has a message sent after the restart: the first ones may
      // go out before a client is back (it catches up by fetching, as the web app does).
      const sent: string[] = [];
      const firstEventMs = await timeUntil(
        async () => {
          const text = `after the router restart #${sent.length + 1}`;
          if (ok(await sendMessage(stack.routerUrl, alice, roomId, text, CLIENT_TIMEOUT_MS))) sent.push(text);
          return clients.every((client) => sent.some((text) => client.received(text)));
        },
        'every client gets a message sent after the restart',
        45_000,
        500,
      );
      const totalMs = Date.now() - killedAt;
      const texts = clients.map((client) => client.events.map((event) => event.result.data?.messageAdded?.text));
      console.log(
        [
          'FAULT router SIGKILL + restart with 3 retrying graphql-ws clients',
          `  router ready ${routerReadyMs} ms after the kill; every client had a new message ${firstEventMs} ms after that (${totalMs} ms after the kill)`,
          `  close codes seen by clients: ${clients.map((client) => client.closeCodes.join('/')).join('; ')}; reconnections: ${clients.map((client) => client.connections - 1).join(', ')}`,
          `  messages sent after the restart: ${sent.length}`,
        ].join('\n'),
      );
      for (const client of clients) {
        expect(client.ended).toBeUndefined();
        expect(client.events.filter((event) => event.result.errors)).toEqual([]);
      }
      // Never twice: each client sees each message at most once.
      for (const received of texts) expect(new Set(received).size).toBe(received.length);
    }), 120_000);
});
