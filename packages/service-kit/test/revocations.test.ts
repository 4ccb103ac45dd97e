import { setTimeout as sleep } from 'node:timers/promises';
import type Redis from 'ioredis';
import { startTestIssuer, TEST_AUDIENCE, TEST_ISSUER, type TestIssuer } from '@dorandoran/test-support/issuer';
import { canRunRedisServer, startRedisServer, type RedisServer } from '@dorandoran/test-support/redisServer';
import { createTokenVerifier, remoteKeys, type TokenVerifier } from '../src/identity';
import { createLogger } from '../src/logger';
import { connectRequestRedis, REQUEST_REDIS_TIMEOUT_MS } from '../src/redis';
import {
  createMemoryRevocationStore,
  createRedisRevocationStore,
  isRevocationCheckUnavailable,
  REVOCATION_MEMO_MS,
  type RevocationStore,
} from '../src/revocations';

const logger = createLogger('revocations-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const nothingLive = () => ({ readAt: new Date(), sessions: [], users: [] });

/** A request-path client that has connected (without an offline queue, commands before that fail). */
async function readyClient(url: string): Promise<Redis> {
  const redis = connectRequestRedis(url, logger);
  await untilReady(redis);
  return redis;
}

const untilReady = async (redis: Redis) => {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
};

const stores: [string, () => Promise<{ store: RevocationStore; close(): Promise<void> }>][] = [
  ['memory', async () => ({ store: createMemoryRevocationStore(), close: async () => undefined })],
];
if (process.env.REDIS_URL) {
  stores.push([
    'redis',
    async () => {
      const redis = await readyClient(process.env.REDIS_URL!);
      const store = createRedisRevocationStore(redis, `test:revoked:${process.pid}:${Date.now()}`);
      await store.rebuild(nothingLive());
      return { store, close: async () => void (await redis.quit()) };
    },
  ]);
}

describe.each(stores)('%s revocation store', (_name, make) => {
  let store: RevocationStore;
  let close: () => Promise<void>;
  beforeEach(async () => ({ store, close } = await make()));
  afterEach(() => close());

  const now = () => Math.floor(Date.now() / 1000);

  test('a revoked session refuses its tokens and no other session', async () => {
    await store.revokeSession('s1', 60);
    expect(await store.isRevoked({ sessionId: 's1', userId: 'u1', issuedAt: now() })).toBe(true);
    expect(await store.isRevoked({ sessionId: 's2', userId: 'u1', issuedAt: now() })).toBe(false);
  });

  test('a user revocation refuses tokens issued before it, not after, until restored', async () => {
    const before = now() - 5;
    await store.revokeUser('u1', 60);
    expect(await store.isRevoked({ sessionId: 's', userId: 'u1', issuedAt: before })).toBe(true);
    expect(await store.isRevoked({ sessionId: 's', userId: 'u1', issuedAt: now() + 5 })).toBe(false);
    expect(await store.isRevoked({ sessionId: 's', userId: 'u2', issuedAt: before })).toBe(false);
    await store.restoreUser('u1');
    expect(await store.isRevoked({ sessionId: 's', userId: 'u1', issuedAt: before })).toBe(false);
  });

  test('entries expire after their TTL', async () => {
    await store.revokeSession('short', 1);
    await sleep(1100);
    expect(await store.isRevoked({ sessionId: 'short', userId: 'u', issuedAt: now() })).toBe(false);
  });

  test('a rebuild writes what is left of each entry', async () => {
    const inMinute = new Date(Date.now() + 60_000);
    await store.rebuild({
      readAt: new Date(),
      sessions: [{ sessionId: 'gone', expiresAt: inMinute }, { sessionId: 'expired', expiresAt: new Date(Date.now() - 1000) }],
      users: [{ userId: 'suspended', before: new Date((now() - 10) * 1000), expiresAt: inMinute }],
    });
    expect(await store.isRevoked({ sessionId: 'gone', userId: 'u', issuedAt: now() })).toBe(true);
    expect(await store.isRevoked({ sessionId: 'expired', userId: 'u', issuedAt: now() })).toBe(false);
    expect(await store.isRevoked({ sessionId: 's', userId: 'suspended', issuedAt: now() - 20 })).toBe(true);
    expect(await store.isRevoked({ sessionId: 's', userId: 'suspended', issuedAt: now() })).toBe(false);
  });
});

/** What a verifier throws, as a client would see it. */
async function outcome(verifier: TokenVerifier, authorization: string) {
  const started = Date.now();
  try {
    await verifier.verify(authorization);
    return { verdict: 'accepted', ms: Date.now() - started };
  } catch (error) {
    const { extensions } = error as { extensions: { code: string; http: { status: number } } };
    return { verdict: extensions.code, status: extensions.http.status, unavailable: isRevocationCheckUnavailable(error), ms: Date.now() - started };
  }
}

const unavailable = { verdict: 'SERVICE_UNAVAILABLE', status: 503, unavailable: true };

(canRunRedisServer ? describe : describe.skip)('revocation checks while Redis is stalled, away or empty', () => {
  let server: RedisServer;
  let issuer: TestIssuer;
  let redis: Redis;
  let store: RevocationStore;
  let verifier: TokenVerifier;
  beforeAll(async () => {
    server = await startRedisServer();
    issuer = await startTestIssuer();
  });
  beforeEach(async () => {
    redis = await readyClient(server.url);
    store = createRedisRevocationStore(redis);
    await store.rebuild(nothingLive());
    verifier = createTokenVerifier({ keys: remoteKeys(issuer.jwksUrl), issuer: TEST_ISSUER, audience: TEST_AUDIENCE, revocations: store });
  });
  afterEach(() => redis.quit());
  afterAll(async () => {
    await server.stop();
    await issuer.close();
  });
  const bearer = async (sid: string) => `Bearer ${await issuer.sign({ sub: 'u1', sid })}`;

  test('stalled (SIGSTOP): a signed-in check answers SERVICE_UNAVAILABLE within a second, anonymous requests are unaffected', async () => {
    const token = await bearer('stalled');
    expect((await outcome(verifier, token)).verdict).toBe('accepted');
    await sleep(REVOCATION_MEMO_MS + 50);
    server.pause();
    try {
      const during = await outcome(verifier, token);
      expect(during).toMatchObject(unavailable);
      // The request timeout decides, not the client's command timeout; room left for a loaded machine.
      expect(during.ms).toBeLessThan(4 * REQUEST_REDIS_TIMEOUT_MS);
      expect(await verifier.verify(undefined)).toBeNull();
    } finally {
      server.resume();
    }
    expect((await outcome(verifier, token)).verdict).toBe('accepted');
  });

  test('a reply that came while this process was busy is read, not taken for a stalled Redis', async () => {
    const check = store.isRevoked({ sessionId: 'slow-process', userId: 'u1', issuedAt: Math.floor(Date.now() / 1000) });
    // The process is busy (a long synchronous task) past the timeout while Redis answers at once.
    const busyUntil = Date.now() + 2 * REQUEST_REDIS_TIMEOUT_MS;
    while (Date.now() < busyUntil);
    await expect(check).resolves.toBe(false);
  });

  test('the same session checked again within the memo costs no round trip; a revocation elsewhere arrives within it', async () => {
    const token = await bearer('busy');
    const calls = async () => Number(/cmdstat_mget:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const before = await calls();
    await Promise.all(Array.from({ length: 5 }, () => verifier.verify(token)));
    await verifier.verify(token);
    expect((await calls()) - before).toBe(1);
    // Another process's store (its own client and memo) revokes the session.
    const other = await readyClient(server.url);
    await createRedisRevocationStore(other).revokeSession('busy', 60);
    await other.quit();
    await sleep(REVOCATION_MEMO_MS);
    expect((await outcome(verifier, token)).verdict).toBe('UNAUTHENTICATED');
  });

  test('away, then back empty: SERVICE_UNAVAILABLE at once, still until the list is rebuilt; nothing tried meanwhile is sent later', async () => {
    const token = await bearer('logged-out');
    await store.revokeSession('logged-out', 60);
    expect((await outcome(verifier, token)).verdict).toBe('UNAUTHENTICATED');
    await sleep(REVOCATION_MEMO_MS + 50);
    await server.stop();
    try {
      const away = await outcome(verifier, token);
      expect(away).toMatchObject(unavailable);
      expect(away.ms).toBeLessThan(4 * REQUEST_REDIS_TIMEOUT_MS);
      await expect(store.revokeSession('tried-while-away', 60)).rejects.toThrow();
    } finally {
      await server.start();
    }
    await untilReady(redis);
    // Empty: no marker, so the list is not trusted yet, not even for a token it never listed.
    expect(await outcome(verifier, token)).toMatchObject(unavailable);
    expect(await outcome(verifier, await bearer('fine'))).toMatchObject(unavailable);
    expect(await store.needsRebuild()).toBe(true);
    await store.rebuild({ readAt: new Date(), sessions: [{ sessionId: 'logged-out', expiresAt: new Date(Date.now() + 60_000) }], users: [] });
    expect(await store.needsRebuild()).toBe(false);
    expect((await outcome(verifier, token)).verdict).toBe('UNAUTHENTICATED');
    expect((await outcome(verifier, await bearer('fine'))).verdict).toBe('accepted');
    // The write that failed while Redis was away was not queued and replayed on reconnect.
    expect(await redis.exists('dorandoran:revoked:session:tried-while-away')).toBe(0);
  });

  test('a write that failed keeps asking for a rebuild until one has read the database after it', async () => {
    server.pause();
    try {
      await expect(store.revokeSession('timed-out', 60)).rejects.toThrow(/did not answer within 500 ms/);
    } finally {
      server.resume();
    }
    expect(await store.needsRebuild()).toBe(true);
    await store.rebuild({ ...nothingLive(), readAt: new Date(Date.now() - 60_000) });
    expect(await store.needsRebuild()).toBe(true);
    await store.rebuild(nothingLive());
    expect(await store.needsRebuild()).toBe(false);
  });
});
