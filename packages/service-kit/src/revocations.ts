import type Redis from 'ioredis';
import type { Logger } from './logger';
import { connectRedis } from './redis';

/**
 * Access tokens are verified locally, so ending a session early needs a list every verifier
 * reads: revoked sessions (logout) and users whose earlier tokens are void (suspension).
 * Entries expire once no token they could match is still valid.
 */
export interface RevocationStore {
  /** Refuse every access token of this session from now on. */
  revokeSession(sessionId: string, ttlSeconds: number): Promise<void>;
  /** Refuse every access token of this user issued up to now. */
  revokeUser(userId: string, ttlSeconds: number): Promise<void>;
  /** Lift a user-wide revocation (e.g. the account is active again). */
  restoreUser(userId: string): Promise<void>;
  isRevoked(token: { sessionId: string; userId: string; issuedAt: number }): Promise<boolean>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** In-process store: serves every service of one `npm start` process. */
export function createMemoryRevocationStore(): RevocationStore {
  const sessions = new Map<string, number>();
  const users = new Map<string, { before: number; expiresAt: number }>();
  const live = <T extends { expiresAt: number } | number>(entry: T | undefined) =>
    entry !== undefined && (typeof entry === 'number' ? entry : entry.expiresAt) > Date.now();
  /** Drops expired entries now and then, so the maps stay as small as the live revocations. */
  let writes = 0;
  const prune = () => {
    if (++writes % 100 !== 0) return;
    for (const [id, expiresAt] of sessions) if (!live(expiresAt)) sessions.delete(id);
    for (const [id, entry] of users) if (!live(entry)) users.delete(id);
  };
  return {
    async revokeSession(sessionId, ttlSeconds) {
      sessions.set(sessionId, Date.now() + ttlSeconds * 1000);
      prune();
    },
    async revokeUser(userId, ttlSeconds) {
      users.set(userId, { before: nowSeconds(), expiresAt: Date.now() + ttlSeconds * 1000 });
      prune();
    },
    async restoreUser(userId) {
      users.delete(userId);
    },
    async isRevoked({ sessionId, userId, issuedAt }) {
      const session = sessions.get(sessionId);
      if (live(session)) return true;
      if (session !== undefined) sessions.delete(sessionId);
      const user = users.get(userId);
      if (!live(user)) return false;
      return issuedAt <= user!.before;
    },
  };
}

/** Redis store: shared by every instance of every service. */
export function createRedisRevocationStore(redis: Redis, prefix = 'dorandoran:revoked'): RevocationStore {
  const sessionKey = (id: string) => `${prefix}:session:${id}`;
  const userKey = (id: string) => `${prefix}:user:${id}`;
  return {
    async revokeSession(sessionId, ttlSeconds) {
      await redis.set(sessionKey(sessionId), '1', 'EX', ttlSeconds);
    },
    async revokeUser(userId, ttlSeconds) {
      await redis.set(userKey(userId), String(nowSeconds()), 'EX', ttlSeconds);
    },
    async restoreUser(userId) {
      await redis.del(userKey(userId));
    },
    async isRevoked({ sessionId, userId, issuedAt }) {
      const [session, before] = await redis.mget(sessionKey(sessionId), userKey(userId));
      if (session) return true;
      return before !== null && issuedAt <= Number(before);
    },
  };
}

/** Redis when configured (shared by every process), in-process otherwise. */
export function createRevocationStore(redisUrl: string | undefined, logger: Logger): { store: RevocationStore; close(): Promise<void> } {
  if (!redisUrl) return { store: createMemoryRevocationStore(), close: async () => undefined };
  const redis = connectRedis(redisUrl, logger);
  return {
    store: createRedisRevocationStore(redis),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
