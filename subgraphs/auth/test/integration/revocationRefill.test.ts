import { setTimeout as sleep } from 'node:timers/promises';
import type Redis from 'ioredis';
import { connectRequestRedis, createLogger, createRedisRevocationStore, REVOCATION_MEMO_MS } from '@dorandoran/service-kit';
import { canRunRedisServer, startRedisServer, type RedisServer } from '@dorandoran/test-support/redisServer';
import { eventually } from '@dorandoran/test-support/ws';
import { codeOf, startAuthHarness, type AuthHarness, type SignedIn } from '../helpers/harness';

/**
 * The shared revocation list on a Redis of the test's own, which the test stalls, stops and
 * starts again empty: auth's database is the list's source of truth and auth writes it back.
 */
(canRunRedisServer ? describe : describe.skip)('the revocation list when Redis stalls or loses its data', () => {
  let server: RedisServer;
  let redis: Redis;
  let h: AuthHarness;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = connectRequestRedis(server.url, createLogger('auth-test', process.env.TEST_LOG_LEVEL ?? 'silent'));
    await untilReady();
    h = await startAuthHarness({ revocations: createRedisRevocationStore(redis) });
  });
  afterAll(async () => {
    await h?.close();
    await redis?.quit();
    await server?.stop();
  });

  const untilReady = async () => {
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  };
  /** Any request with the token: the subgraph verifies it before anything else. */
  const withToken = async (user: SignedIn) => {
    const response = await h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }', { r: [{ __typename: 'User', id: user.id }] }, user.headers);
    return { status: response.status, code: codeOf(response) };
  };

  test('stalled (SIGSTOP): a signed-in request answers 503 SERVICE_UNAVAILABLE within a second, not a hang', async () => {
    const user = await h.signUp();
    expect((await withToken(user)).status).toBe(200);
    await sleep(REVOCATION_MEMO_MS + 50);
    server.pause();
    const started = Date.now();
    try {
      expect(await withToken(user)).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      server.resume();
    }
    const stalledMs = Date.now() - started;
    console.log(`stalled Redis: auth answered 503 after ${stalledMs} ms`);
    // Fails fast: about 1 s on a quiet machine, over 3 s seen on a loaded one; a hang would reach the client's timeout.
    expect(stalledMs).toBeLessThan(5000);
    expect((await withToken(user)).status).toBe(200);
  });

  test('restarted empty: signed-in requests get 503 until auth has written the list back, then a logged-out session is refused again', async () => {
    const loggedOut = await h.signUp();
    const suspended = await h.signUp();
    const active = await h.signUp();
    expect((await h.call('mutation { logOut }', {}, loggedOut.headers)).data).toEqual({ logOut: true });
    await h.announceStatus(suspended.id, 'SUSPENDED');
    expect(await withToken(loggedOut)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await withToken(suspended)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });

    await sleep(REVOCATION_MEMO_MS + 50);
    await server.stop();
    expect(await withToken(active)).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    await server.start();
    const restarted = Date.now();
    await untilReady();
    // Never a 200 for the logged-out token: 503 while the list is not back, 401 once it is.
    const seen = new Set<number>();
    await eventually(async () => {
      const { status } = await withToken(loggedOut);
      seen.add(status);
      return status === 401;
    }, 'the logged-out session refused again');
    const refillMs = Date.now() - restarted;
    console.log(`Redis restarted empty: the list was back after ${refillMs} ms; answers meanwhile: ${[...seen].join(', ')}`);
    expect([...seen].every((status) => status === 503 || status === 401)).toBe(true);
    expect(await withToken(active)).toEqual({ status: 200, code: undefined });
    expect(await withToken(suspended)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(Number(await redis.get(`dorandoran:revoked:user:${suspended.id}`))).toBeGreaterThan(0);
  });
});
