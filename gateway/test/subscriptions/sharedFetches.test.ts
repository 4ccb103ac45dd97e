import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { GraphQLError } from 'graphql';
import { createMemoryPubSub, type RequestIdentity } from '@dorandoran/service-kit';
import { startTestIssuer, type TestIssuer } from '@dorandoran/test-support/issuer';
import type { SubscriptionStats } from '../../src/subscriptions/server';
import { startTestRouter } from '../helpers/router';
import { ticksSubgraph } from '../helpers/ticks';

// `name` is anyone's to read; `secret` only the person's own.
const PEOPLE = `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@composeDirective"])
  @link(url: "https://dorandoran.dev/viewer-independent/v1.0", import: ["@viewerIndependent"])
  @composeDirective(name: "@viewerIndependent")
directive @viewerIndependent on FIELD_DEFINITION
type Person @key(fields: "id") { id: ID! @viewerIndependent  name: String! @viewerIndependent  secret: String }`;

const names: Record<string, string> = { p1: 'Mina', p2: 'Jun' };
const SECRETS: Record<string, string> = { p1: 'mina-secret', p2: 'jun-secret' };

describe('subscription events: shared upstreams and shared per-event fetches', () => {
  const pubsub = createMemoryPubSub();
  /** Who asked people for something, per request: a user id, or null for a request without a token. */
  const peopleCallers: (string | null)[] = [];
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
          context: (identity: RequestIdentity) => {
            peopleCallers.push(identity.viewer?.userId ?? null);
            return { viewer: identity.viewer };
          },
          resolvers: {
            Person: {
              __resolveReference: ({ id }: { id: string }) => ({ id, name: names[id] }),
              secret: ({ id }: { id: string }, _: unknown, { viewer }: { viewer: { userId: string } | null }) => {
                if (viewer?.userId !== id) throw new GraphQLError('Only the person themself can see their secret.', { extensions: { code: 'FORBIDDEN' } });
                return SECRETS[id];
              },
            },
          },
        },
      ],
      { jwksUrl: issuer.jwksUrl },
    );
  });
  beforeEach(() => {
    peopleCallers.length = 0;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await waitUntil(async () => (await router.stats()).upstreamSubscriptions === 0);
  });
  afterAll(async () => {
    await router.dispose();
    await issuer.close();
  });

  /** The router's /health subscriptions, all of it. */
  const stats = async () => (await router.stats()) as unknown as SubscriptionStats;
  const tokens: Record<string, string> = {};
  const as = async (person: 'p1' | 'p2') => {
    tokens[person] ??= `Bearer ${await issuer.sign({ sub: person })}`;
    const client = createClient({ url: router.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: tokens[person] }, retryAttempts: 0 });
    clients.push(client);
    return client;
  };
  /** Polls until the condition holds; fails here, not at a later hang, if it never does. */
  const waitUntil = async (condition: () => Promise<boolean> | boolean, withinMs = 20_000) => {
    const deadline = Date.now() + withinMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms: ${condition.toString()}`);
      await sleep(20);
    }
  };
  const subscribe = (client: Client, room: string, fields: string) =>
    client.iterate({ query: `subscription($room: ID!) { ticked(room: $room) { id by { ${fields} } } }`, variables: { room } });

  test('subscribers with one token share an upstream, each token has its own, and the last leaver ends each', async () => {
    const mina = [await as('p1'), await as('p1')];
    const jun = await as('p2');
    const streams = [...mina, jun].map((client) => subscribe(client, 'shared', 'id'));
    const firsts = streams.map((events) => events.next());
    await waitUntil(() => pubsub.listenerCount('room:shared') === 2);
    await waitUntil(async () => (await router.stats()).subscriptions === 3);
    expect(await router.stats()).toMatchObject({ subscriptions: 3, upstreamConnections: 2, upstreamSubscriptions: 2 });

    await pubsub.publish('room:shared', { id: 't1', by: 'p1' });
    for (const first of firsts) expect((await first).value).toEqual({ data: { ticked: { id: 't1', by: { id: 'p1' } } } });

    await mina[0].dispose();
    await waitUntil(async () => (await router.stats()).subscriptions === 2);
    expect(await router.stats()).toMatchObject({ upstreamConnections: 2, upstreamSubscriptions: 2 });
    await mina[1].dispose();
    await waitUntil(async () => (await router.stats()).upstreamSubscriptions === 1);
    expect(await router.stats()).toMatchObject({ subscriptions: 1, upstreamConnections: 1, upstreamSubscriptions: 1 });
    await pubsub.publish('room:shared', { id: 't2', by: 'p2' });
    expect((await streams[2].next()).value).toEqual({ data: { ticked: { id: 't2', by: { id: 'p2' } } } });
  });

  test('viewer-independent fields: one fetch without a token for the subscribers of two viewers', async () => {
    const streams = [await as('p1'), await as('p1'), await as('p2')].map((client) => subscribe(client, 'names', 'id name'));
    const firsts = streams.map((events) => events.next());
    await waitUntil(async () => (await router.stats()).upstreamSubscriptions === 2 && pubsub.listenerCount('room:names') === 2);
    const before = (await stats()).eventFetches;

    await pubsub.publish('room:names', { id: 't1', by: 'p2' });
    for (const first of firsts) expect((await first).value).toEqual({ data: { ticked: { id: 't1', by: { id: 'p2', name: 'Jun' } } } });
    expect(peopleCallers).toEqual([null]);
    const after = (await stats()).eventFetches;
    // Asked once per topic (a token's subscribers with one plan share its result), sent once for both.
    expect({ sent: after.sent - before.sent, asked: after.asked - before.asked }).toEqual({ sent: 1, asked: 2 });
  });

  test('a name changed between two events is in the second', async () => {
    const events = subscribe(await as('p1'), 'renamed', 'name');
    const first = events.next();
    await waitUntil(() => pubsub.listenerCount('room:renamed') === 1);
    await pubsub.publish('room:renamed', { id: 't1', by: 'p2' });
    expect((await first).value).toEqual({ data: { ticked: { id: 't1', by: { name: 'Jun' } } } });
    names.p2 = 'June';
    try {
      await pubsub.publish('room:renamed', { id: 't2', by: 'p2' });
      expect((await events.next()).value).toEqual({ data: { ticked: { id: 't2', by: { name: 'June' } } } });
    } finally {
      names.p2 = 'Jun';
    }
  });

  test('a field only its owner may see goes per viewer: the owner gets it, the other viewer the refusal, never the owner\'s answer', async () => {
    const [mina, jun] = [subscribe(await as('p1'), 'secrets', 'name secret'), subscribe(await as('p2'), 'secrets', 'name secret')];
    const [minaFirst, junFirst] = [mina.next(), jun.next()];
    await waitUntil(async () => (await router.stats()).upstreamSubscriptions === 2 && pubsub.listenerCount('room:secrets') === 2);

    await pubsub.publish('room:secrets', { id: 't1', by: 'p1' });
    expect((await minaFirst).value).toEqual({ data: { ticked: { id: 't1', by: { name: 'Mina', secret: 'mina-secret' } } } });
    const junEvent = (await junFirst).value as { data: unknown; errors: { path: unknown; extensions: { code: string } }[] };
    expect(junEvent.data).toEqual({ ticked: { id: 't1', by: { name: 'Mina', secret: null } } });
    expect(junEvent.errors).toEqual([expect.objectContaining({ path: ['ticked', 'by', 'secret'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    // Each viewer's fetch went with their own token; none went without one.
    expect([...peopleCallers].sort()).toEqual(['p1', 'p2']);
  });
});
