import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { createMemoryRevocationStore, createRedisRevocationStore, type RevocationStore } from '../src/revocations';

const stores: [string, () => { store: RevocationStore; close(): Promise<void> }][] = [
  ['memory', () => ({ store: createMemoryRevocationStore(), close: async () => undefined })],
];
if (process.env.REDIS_URL) {
  stores.push([
    'redis',
    () => {
      const redis = new Redis(process.env.REDIS_URL!);
      return { store: createRedisRevocationStore(redis, `test:revoked:${process.pid}:${Date.now()}`), close: async () => void (await redis.quit()) };
    },
  ]);
}

describe.each(stores)('%s revocation store', (_name, make) => {
  let store: RevocationStore;
  let close: () => Promise<void>;
  beforeEach(() => ({ store, close } = make()));
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
});
