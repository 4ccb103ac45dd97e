import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import { GraphQLError } from 'graphql';
import WebSocket from 'ws';
import { createMemoryPubSub, createRevocationStore, type Logger, type TokenVerifier } from '@dorandoran/service-kit';
import { startTestIssuer, type TestIssuer } from '@dorandoran/test-support/issuer';
import { canRunRedisServer, startRedisServer } from '@dorandoran/test-support/redisServer';
import { eventually, within } from '@dorandoran/test-support/ws';
import { createTokenChecks } from '../src/subscriptions/tokenChecks';
import { startTestRouter } from './helpers/router';
import { ticksSubgraph } from './helpers/ticks';

const MAX_SUBSCRIPTIONS = 3;
const MAX_SOCKETS = 8;
const MAX_BODY_BYTES = 8192;

/** A raw graphql-ws socket, to send what no well-behaved client sends. */
async function rawSocket(url: string): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }>; messages: unknown[] }> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const messages: unknown[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { socket, closed, messages };
}

describe('the graphql-ws endpoint under hostile clients (production mode)', () => {
  const pubsub = createMemoryPubSub();
  const rooms = new Set<string>();
  let issuer: TestIssuer;
  let router: Awaited<ReturnType<typeof startTestRouter>>;
  const clients: Client[] = [];
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    issuer = await startTestIssuer();
    router = await startTestRouter([ticksSubgraph(pubsub, rooms)], {
      jwksUrl: issuer.jwksUrl,
      env: {
        NODE_ENV: 'production',
        MAX_SUBSCRIPTIONS_PER_CONNECTION: String(MAX_SUBSCRIPTIONS),
        MAX_WEBSOCKETS_PER_IP: String(MAX_SOCKETS),
        MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      },
    });
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await eventually(async () => (await router.stats()).connections === 0, 'every connection closed');
  });
  afterAll(async () => {
    await router.dispose();
    await issuer.close();
  });

  const connect = async () => {
    const client = createClient({ url: router.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${await issuer.sign({ sub: 'p1' })}` }, retryAttempts: 0 });
    clients.push(client);
    return client;
  };
  const raw = async () => {
    const opened = await rawSocket(router.wsUrl);
    sockets.push(opened.socket);
    return opened;
  };
  const send = (socket: WebSocket, message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  const subscribeMessage = (id: string) => ({ id, type: 'subscribe', payload: { query: 'subscription { ticked(room: "raw") { id } }' } });

  test('a subscription over the per-connection cap is refused with MAX_SUBSCRIPTIONS_EXCEEDED; the socket stays open', async () => {
    const client = await connect();
    const running = Array.from({ length: MAX_SUBSCRIPTIONS }, (_, i) => client.iterate({ query: `subscription { ticked(room: "cap${i}") { id } }` }));
    for (const events of running) void events.next().catch(() => undefined);
    await eventually(async () => (await router.stats()).upstreamSubscriptions === MAX_SUBSCRIPTIONS, 'the allowed subscriptions running');

    const refused = client.iterate({ query: 'subscription { ticked(room: "cap-over") { id } }' });
    const [error] = (await refused.next().catch((errors: unknown) => errors)) as { message: string; extensions: Record<string, unknown> }[];
    expect(error.extensions).toEqual({ code: 'MAX_SUBSCRIPTIONS_EXCEEDED', limit: MAX_SUBSCRIPTIONS });
    expect(error.message).toMatch(/complete one/);

    // Completing one makes room on the same socket.
    await running[0].return?.();
    const again = client.iterate({ query: 'subscription { ticked(room: "cap-again") { id } }' });
    const next = again.next();
    await eventually(() => rooms.has('cap-again'), 'the new subscription running');
    await pubsub.publish('room:cap-again', { id: 't1' });
    expect((await within(next)).value).toEqual({ data: { ticked: { id: 't1' } } });
  });

  test('the subscriptions of one connection hold at most MAX_BODY_BYTES of text together', async () => {
    const client = await connect();
    const padded = (room: string) => `subscription { ticked(room: "${room}") { id } } # ${'x'.repeat(MAX_BODY_BYTES / 2)}`;
    void client.iterate({ query: padded('big1') }).next().catch(() => undefined);
    await eventually(async () => (await router.stats()).upstreamSubscriptions === 1, 'the first padded subscription running');
    await expect(client.iterate({ query: padded('big2') }).next()).rejects.toEqual([
      expect.objectContaining({ extensions: { code: 'PAYLOAD_TOO_LARGE', limit: MAX_BODY_BYTES } }),
    ]);
  });

  test('a frame over MAX_BODY_BYTES closes the socket with 1009; the router goes on serving', async () => {
    const { socket, closed } = await raw();
    send(socket, { type: 'connection_init', payload: { padding: 'x'.repeat(MAX_BODY_BYTES) } });
    expect(await within(closed)).toEqual({ code: 1009, reason: '' });
    const client = await connect();
    const events = client.iterate({ query: 'subscription { ticked(room: "after-big") { id } }' });
    const next = events.next();
    await eventually(() => rooms.has('after-big'), 'a subscription after the big frame');
    await pubsub.publish('room:after-big', { id: 't2' });
    expect((await within(next)).value).toEqual({ data: { ticked: { id: 't2' } } });
  });

  test('validation errors carry no "Did you mean" in production', async () => {
    const client = await connect();
    const [error] = (await client.iterate({ query: 'subscription { tickd(room: "r") { id } }' }).next().catch((errors: unknown) => errors)) as { message: string }[];
    expect(error.message).toBe('Cannot query field "tickd" on type "Subscription".');
  });

  test.each([
    ['malformed JSON', 4400, ['{nope']],
    ['an unknown message type', 4400, [{ type: 'hello' }]],
    ['connectionParams that are not an object', 4400, [{ type: 'connection_init', payload: 'Bearer x' }]],
    ['subscribe before connection_init', 4401, [subscribeMessage('1')]],
    ['a second connection_init', 4429, [{ type: 'connection_init' }, { type: 'connection_init' }]],
    ['an id longer than 128 characters', 4400, [{ type: 'connection_init' }, subscribeMessage('x'.repeat(129))]],
  ])('%s closes the socket with %d', async (_what, code, frames) => {
    const { socket, closed, messages } = await raw();
    for (const frame of frames) {
      send(socket, frame);
      // Let the router answer connection_init before the next frame, as a client waiting for the ack would.
      if ((frame as { type?: string }).type === 'connection_init') await eventually(() => messages.length > 0 || socket.readyState !== WebSocket.OPEN, 'an answer');
    }
    expect((await within(closed)).code).toBe(code);
  });

  test('an id used twice closes the socket with 4409', async () => {
    const { socket, closed, messages } = await raw();
    send(socket, { type: 'connection_init', payload: { authorization: `Bearer ${await issuer.sign({ sub: 'p1' })}` } });
    await eventually(() => messages.length > 0, 'connection_ack');
    send(socket, subscribeMessage('same'));
    send(socket, subscribeMessage('same'));
    expect((await within(closed)).code).toBe(4409);
  });

  test('a socket that never sends connection_init is closed with 4408 after 3 s', async () => {
    const { closed } = await raw();
    expect((await within(closed, 5000)).code).toBe(4408);
  });

  test(`sockets from one address beyond ${MAX_SOCKETS} are closed with 1013 (try again later)`, async () => {
    const open = await Promise.all(Array.from({ length: MAX_SOCKETS }, () => raw()));
    const { closed } = await raw();
    expect(await within(closed)).toEqual({ code: 1013, reason: `Too many connections from your address (${MAX_SOCKETS} at most); try again later` });
    expect(open.every(({ socket }) => socket.readyState === WebSocket.OPEN)).toBe(true);
  });
});

describe('socket token checks', () => {
  const logger = () => ({ warn: jest.fn(), info: jest.fn() });
  const failingWith = (code: string): TokenVerifier => ({
    verify: async () => {
      throw new GraphQLError('no', { extensions: { code } });
    },
  });

  test('an outage is logged once however many connections meet it, and its end once', async () => {
    const log = logger();
    let verifier = failingWith('SERVICE_UNAVAILABLE');
    const check = createTokenChecks({ verify: (token) => verifier.verify(token) }, log as unknown as Logger);
    expect(await Promise.all([check('Bearer a'), check('Bearer b'), check('Bearer c')])).toEqual(['unavailable', 'unavailable', 'unavailable']);
    expect(await check('Bearer a')).toBe('unavailable');
    expect(log.warn).toHaveBeenCalledTimes(1);
    verifier = { verify: async () => ({ userId: 'p1' }) as never };
    await check('Bearer a');
    await check('Bearer b');
    expect(log.info).toHaveBeenCalledTimes(1);
  });

  test('UNAUTHENTICATED is the token refused; anything else is a check that could not be made', async () => {
    const log = logger();
    expect(await createTokenChecks(failingWith('UNAUTHENTICATED'), log as unknown as Logger)('Bearer a')).toBe('refused');
    expect(await createTokenChecks({ verify: () => Promise.reject(new Error('Connection is closed.')) }, log as unknown as Logger)('Bearer a')).toBe('unavailable');
  });
});

(canRunRedisServer ? describe : describe.skip)('while the revocation list (Redis) is down', () => {
  const pubsub = createMemoryPubSub();
  const rooms = new Set<string>();
  const silent = { warn: () => undefined } as unknown as Logger;
  let issuer: TestIssuer;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let revocations: ReturnType<typeof createRevocationStore>;
  let router: Awaited<ReturnType<typeof startTestRouter>>;
  const clients: Client[] = [];

  beforeAll(async () => {
    issuer = await startTestIssuer();
    redis = await startRedisServer();
    revocations = createRevocationStore(redis.url, silent);
    router = await startTestRouter([ticksSubgraph(pubsub, rooms)], { jwksUrl: issuer.jwksUrl });
    // The router's revocation list is the throw-away Redis from here on, written complete as auth does.
    Object.assign(router.revocations, revocations.store);
    await rebuildEmptyList();
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await router.dispose();
    await revocations.close();
    await redis.stop();
    await issuer.close();
  });

  const rebuildEmptyList = () => revocations.store.rebuild({ readAt: new Date(), sessions: [], users: [] });
  const connect = (token: string) => {
    const client = createClient({ url: router.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    clients.push(client);
    return client;
  };

  test('open connections stay open and get events after Redis is back; a revoked session still ends with 4403', async () => {
    const events = connect(await issuer.sign({ sub: 'p1', sid: 'kept' })).iterate({ query: 'subscription { ticked(room: "outage") { id } }' });
    const first = events.next();
    await eventually(() => rooms.has('outage'), 'subscribed');

    await redis.stop();
    // A new connection cannot be checked: it is asked to come back, not to sign in again.
    const refused = connect(await issuer.sign({ sub: 'p2', sid: 'new' })).iterate({ query: 'subscription { ticked(room: "outage") { id } }' });
    await expect(within(refused.next(), 15_000)).rejects.toMatchObject({ code: 1013 });
    // Several re-check rounds fail meanwhile; the open connection is kept.
    await sleep(5000);
    expect((await router.stats()).connections).toBe(1);

    // Redis comes back empty: until auth has rebuilt the list, checks still cannot be made.
    await redis.start();
    await eventually(() => rebuildEmptyList().then(() => true, () => false), 'the list rebuilt', 10_000);
    await pubsub.publish('room:outage', { id: 'after' });
    expect((await within(first)).value).toEqual({ data: { ticked: { id: 'after' } } });

    const revokedAt = Date.now();
    await revocations.store.revokeSession('kept', 60);
    await expect(within(events.next(), 10_000)).rejects.toMatchObject({ code: 4403 });
    // Within a re-check round (and the list's memo of what Redis said).
    expect(Date.now() - revokedAt).toBeLessThan(3000);
  }, 60_000);
});
