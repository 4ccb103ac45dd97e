import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createMemoryPubSub } from '@dorandoran/service-kit';
import { startTestIssuer, type TestIssuer } from '@dorandoran/test-support/issuer';
import { startTestRouter } from './helpers/router';
import { ticksSubgraph } from './helpers/ticks';

const PEOPLE = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Person @key(fields: "id") { id: ID!  name: String! }`;

const NAMES: Record<string, string> = { p1: 'Mina', p2: 'Jun', p3: 'Slow' };
/** How long resolving this person takes: an event by p3 resolves after the events published after it. */
const RESOLVE_MS: Record<string, number> = { p3: 300 };

describe('federated subscriptions through the router', () => {
  const pubsub = createMemoryPubSub();
  let issuer: TestIssuer;
  let router: Awaited<ReturnType<typeof startTestRouter>>;
  const clients: Client[] = [];

  beforeAll(async () => {
    issuer = await startTestIssuer();
    router = await startTestRouter(
      [
        ticksSubgraph(pubsub),
        {
          name: 'people',
          typeDefs: PEOPLE,
          resolvers: {
            Person: {
              __resolveReference: async ({ id }: { id: string }) => {
                if (RESOLVE_MS[id]) await sleep(RESOLVE_MS[id]);
                return { id, name: NAMES[id] };
              },
            },
          },
        },
      ],
      { jwksUrl: issuer.jwksUrl },
    );
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    sockets.clear();
    // The router hears the closes after dispose resolves: the next test starts with none open.
    await waitUntil(async () => (await router.stats()).connections === 0);
  });
  afterAll(async () => {
    await router.dispose();
    await issuer.close();
  });

  /** Each client's WebSocket, as the client opened it. */
  const sockets = new Map<Client, WebSocket>();
  const connect = (authorization?: string) => {
    const client = createClient({ url: router.wsUrl, webSocketImpl: WebSocket, connectionParams: authorization ? { authorization } : {}, retryAttempts: 0 });
    client.on('opened', (socket) => sockets.set(client, socket as WebSocket));
    clients.push(client);
    return client;
  };
  const signedIn = async () => `Bearer ${await issuer.sign({ sub: 'p1' })}`;
  const waitUntil = async (condition: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await condition()); i++) await sleep(20);
  };
  const upstreamCount = async () => (await router.stats()).upstreamSubscriptions;

  test('each event is completed with fields from another subgraph', async () => {
    const events = connect(await signedIn()).iterate({ query: 'subscription($room: ID!) { ticked(room: $room) { id by { id name } } }', variables: { room: 'r1' } });
    const first = events.next();
    await waitUntil(async () => pubsub.topicCount === 1);
    await pubsub.publish('room:r1', { id: 't1', by: 'p2' });
    expect((await first).value).toEqual({ data: { ticked: { id: 't1', by: { id: 'p2', name: 'Jun' } } } });
    await pubsub.publish('room:r2', { id: 'elsewhere', by: 'p1' });
    await pubsub.publish('room:r1', { id: 't2', by: 'p1' });
    expect((await events.next()).value).toEqual({ data: { ticked: { id: 't2', by: { id: 'p1', name: 'Mina' } } } });
    await events.return?.();
  });

  test('each subscriber gets the events in the order they were published, though a later one resolves first', async () => {
    const token = await signedIn();
    const streams = [connect(token), connect(token)].map((client) => client.iterate({ query: 'subscription { ticked(room: "order") { id by { name } } }' }));
    const firsts = streams.map((events) => events.next());
    await waitUntil(async () => (await router.stats()).subscriptions === 2 && pubsub.topicCount === 1);
    // t1's person takes 300 ms to resolve, t2's none: t2's result is ready first.
    await pubsub.publish('room:order', { id: 't1', by: 'p3' });
    await pubsub.publish('room:order', { id: 't2', by: 'p1' });
    for (const [i, events] of streams.entries()) {
      expect((await firsts[i]).value).toEqual({ data: { ticked: { id: 't1', by: { name: 'Slow' } } } });
      expect((await events.next()).value).toEqual({ data: { ticked: { id: 't2', by: { name: 'Mina' } } } });
    }
  });

  test('a client that stops reading is disconnected once 1 MiB waits for it, and the others keep their events', async () => {
    const token = await signedIn();
    const reader = connect(token);
    const stalled = connect(token);
    const query = 'subscription { ticked(room: "flood") { id } }';
    const events = reader.iterate({ query });
    const ended = new Promise<unknown>((resolve) => stalled.subscribe({ query }, { next: () => undefined, error: resolve, complete: () => resolve('complete') }));
    const first = events.next();
    await waitUntil(async () => (await router.stats()).subscriptions === 2 && pubsub.topicCount === 1);
    // The stalled client's process stops reading its socket: the kernel's buffers fill, then the router's.
    (sockets.get(stalled) as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 200 && (await router.stats()).connections === 2; i++) await pubsub.publish('room:flood', { id: `${i}-${big}`, by: 'p1' });
    expect((await router.stats()).connections).toBe(1);
    expect((await first).value).toEqual({ data: { ticked: { id: `0-${big}` } } });
    (sockets.get(stalled) as unknown as { _socket: { resume(): void } })._socket.resume();
    // Terminated, not closed: a socket that far behind cannot be sent a close frame.
    await expect(ended).resolves.toMatchObject({ code: 1006 });
  }, 30_000);

  test('anonymous: the @authenticated subscription is refused with UNAUTHORIZED_FIELD_OR_TYPE', async () => {
    const events = connect().iterate({ query: 'subscription { ticked(room: "r1") { id } }' });
    await expect(events.next()).rejects.toEqual([
      expect.objectContaining({ path: ['ticked'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
  });

  test('a bad token closes the connection with 4403', async () => {
    const events = connect('Bearer nope').iterate({ query: 'subscription { ticked(room: "r1") { id } }' });
    await expect(events.next()).rejects.toMatchObject({ code: 4403 });
  });

  test('queries over the socket are refused, and bad variables fail that operation only', async () => {
    const client = connect(await signedIn());
    await expect(client.iterate({ query: '{ ping }' }).next()).rejects.toEqual([expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })]);
    await expect(client.iterate({ query: 'subscription($room: ID!) { ticked(room: $room) { id } }', variables: { room: { x: 1 } } }).next()).rejects.toEqual([
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }),
    ]);
  });

  test('after 100 clients subscribe and leave, the router holds no upstream subscription', async () => {
    const token = await signedIn();
    const iterators = [];
    for (let i = 0; i < 100; i++) {
      const events = connect(token).iterate({ query: 'subscription { ticked(room: "crowd") { id } }' });
      void events.next().catch(() => undefined);
      iterators.push(events);
    }
    await waitUntil(async () => (await router.stats()).subscriptions === 100);
    // One token, one operation: the 100 share one upstream subscription on one socket.
    expect(await router.stats()).toMatchObject({ connections: 100, subscriptions: 100, upstreamConnections: 1, upstreamSubscriptions: 1 });
    await waitUntil(async () => pubsub.topicCount === 1);
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await waitUntil(async () => (await upstreamCount()) === 0 && pubsub.topicCount === 0);
    expect(await router.stats()).toMatchObject({ connections: 0, subscriptions: 0, upstreamConnections: 0, upstreamSubscriptions: 0 });
    // The subgraph side agrees: nobody listens to the topic any more.
    expect(pubsub.topicCount).toBe(0);
  });

  test('a revoked session loses its subscriptions', async () => {
    const token = await issuer.sign({ sub: 'p1', sid: 'doomed' });
    const events = connect(`Bearer ${token}`).iterate({ query: 'subscription { ticked(room: "r9") { id } }' });
    const next = events.next();
    await waitUntil(async () => (await upstreamCount()) === 1);
    await router.revocations.revokeSession('doomed', 60);
    await expect(next).rejects.toMatchObject({ code: 4403 });
  });

  test('a revoked session closes every connection that presents it, and no other', async () => {
    const doomed = `Bearer ${await issuer.sign({ sub: 'p1', sid: 'doomed-twice' })}`;
    const query = 'subscription { ticked(room: "r8") { id } }';
    const [first, second, other] = [connect(doomed), connect(doomed), connect(await signedIn())].map((client) => client.iterate({ query }));
    const pending = [first.next(), second.next()];
    const kept = other.next();
    // Live on the subgraph too: one upstream subscription per token, so the doomed pair's and the other's.
    // On a busy machine the other's could still be opening when the event below was published, and it was lost.
    await waitUntil(async () => (await router.stats()).subscriptions === 3 && pubsub.listenerCount('room:r8') === 2);
    await router.revocations.revokeSession('doomed-twice', 60);
    for (const next of pending) await expect(next).rejects.toMatchObject({ code: 4403 });
    await pubsub.publish('room:r8', { id: 'still here', by: 'p1' });
    expect((await kept).value).toEqual({ data: { ticked: { id: 'still here' } } });
  });

  test('when the subgraph goes away, the client is told at once (1012, retryable) instead of waiting on a feed that lost events', async () => {
    const events = connect(await signedIn()).iterate({ query: 'subscription { ticked(room: "r5") { id } }' });
    const next = events.next();
    // Subscribed on the subgraph, so connected: a subgraph gone before that is one that never came (SERVICE_UNAVAILABLE after retries).
    await waitUntil(async () => (await upstreamCount()) === 1 && pubsub.topicCount === 1);
    await router.stopSubgraph(0);
    await expect(next).rejects.toMatchObject({ code: 1012 });
    await waitUntil(async () => (await upstreamCount()) === 0);
  }, 30_000);
});
