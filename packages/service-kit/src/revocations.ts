import type Redis from 'ioredis';
import { GraphQLError } from 'graphql';
import type { Logger } from './logger';
import { connectRequestRedis, withinRequestTimeout } from './redis';

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
  /** Throws RevocationCheckUnavailableError when the list cannot be read (or is not rebuilt yet). */
  isRevoked(token: { sessionId: string; userId: string; issuedAt: number }): Promise<boolean>;
  /**
   * Whether the list must be written again from auth's database, its source of truth: Redis came
   * back without it, or one of this process's writes did not reach Redis. Never for the in-process list.
   */
  needsRebuild(): Promise<boolean>;
  /** Writes every live revocation (with what is left of its lifetime) and marks the list complete. */
  rebuild(live: LiveRevocations): Promise<void>;
}

/** Every revocation some still-valid token could match, as read from auth's database at `readAt`. */
export interface LiveRevocations {
  readAt: Date;
  sessions: { sessionId: string; expiresAt: Date }[];
  /** Tokens of the user issued up to `before` are void. */
  users: { userId: string; before: Date; expiresAt: Date }[];
}

/**
 * The verifier cannot tell whether a token was revoked (Redis stalled, away, or its list not yet
 * rebuilt): it refuses the request with 503 rather than accept a token that may be revoked. Not
 * a verdict on the token: a long-lived connection may stay open and check again.
 */
export class RevocationCheckUnavailableError extends GraphQLError {
  constructor(reason: string) {
    super('The sign-in check is briefly unavailable. Try again shortly.', {
      extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
      originalError: new Error(reason),
    });
    this.name = 'RevocationCheckUnavailableError';
  }
}

export const isRevocationCheckUnavailable = (error: unknown): error is RevocationCheckUnavailableError =>
  error instanceof RevocationCheckUnavailableError;

const nowSeconds = () => Math.floor(Date.now() / 1000);
const secondsUntil = (at: Date) => Math.ceil((at.getTime() - Date.now()) / 1000);

/** In-process store: serves every service of one `npm start` process; it goes only with the process. */
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
    needsRebuild: async () => false,
    async rebuild(list) {
      for (const { sessionId, expiresAt } of list.sessions) sessions.set(sessionId, expiresAt.getTime());
      for (const { userId, before, expiresAt } of list.users) {
        users.set(userId, { before: Math.floor(before.getTime() / 1000), expiresAt: expiresAt.getTime() });
      }
    },
  };
}

/** How long a verifier reuses what Redis said about a session: a revocation reaches every process within it. */
export const REVOCATION_MEMO_MS = 500;
const MEMO_MAX_ENTRIES = 10_000;

interface RevocationState {
  sessionRevoked: boolean;
  /** Tokens of the user issued up to this second are void. */
  userBefore: number | null;
}

/**
 * Redis store: shared by every instance of every service. A marker key, written with every
 * rebuild, says the list is complete: a Redis that restarted empty has no marker, and until auth
 * has rebuilt the list from its database every check fails closed. Give it a client made by
 * connectRequestRedis: no check or write waits longer than REQUEST_REDIS_TIMEOUT_MS.
 */
export function createRedisRevocationStore(redis: Redis, prefix = 'dorandoran:revoked'): RevocationStore {
  const sessionKey = (id: string) => `${prefix}:session:${id}`;
  const userKey = (id: string) => `${prefix}:user:${id}`;
  const completeKey = `${prefix}:complete`;
  /** When a write last failed: the list lacks it until a rebuild that read the database after it. */
  let unsyncedSince: number | null = null;
  // Concurrent and back-to-back checks of one session (the router, then each subgraph it calls) share one round trip.
  const memo = new Map<string, { at: number; state: Promise<RevocationState> }>();

  async function read(sessionId: string, userId: string): Promise<RevocationState> {
    let values: (string | null)[];
    try {
      values = await withinRequestTimeout(redis.mget(sessionKey(sessionId), userKey(userId), completeKey));
    } catch (error) {
      throw new RevocationCheckUnavailableError(`revocation list unreachable: ${(error as Error).message}`);
    }
    const [session, before, complete] = values;
    if (complete === null) throw new RevocationCheckUnavailableError('revocation list not rebuilt yet');
    return { sessionRevoked: session !== null, userBefore: before === null ? null : Number(before) };
  }

  function remembered(sessionId: string, userId: string): Promise<RevocationState> {
    const key = `${sessionId} ${userId}`;
    const hit = memo.get(key);
    if (hit && Date.now() - hit.at < REVOCATION_MEMO_MS) return hit.state;
    if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
    const state = read(sessionId, userId);
    memo.set(key, { at: Date.now(), state });
    state.catch(() => memo.get(key)?.state === state && memo.delete(key));
    return state;
  }

  /** A write here takes effect in this process at once; other processes see it when their memo runs out. */
  async function write(command: Promise<unknown>): Promise<void> {
    try {
      await withinRequestTimeout(command);
    } catch (error) {
      unsyncedSince = Date.now();
      throw error;
    } finally {
      memo.clear();
    }
  }

  return {
    revokeSession: (sessionId, ttlSeconds) => write(redis.set(sessionKey(sessionId), '1', 'EX', ttlSeconds)),
    revokeUser: (userId, ttlSeconds) => write(redis.set(userKey(userId), String(nowSeconds()), 'EX', ttlSeconds)),
    restoreUser: (userId) => write(redis.del(userKey(userId))),
    async isRevoked({ sessionId, userId, issuedAt }) {
      const { sessionRevoked, userBefore } = await remembered(sessionId, userId);
      return sessionRevoked || (userBefore !== null && issuedAt <= userBefore);
    },
    async needsRebuild() {
      return unsyncedSince !== null || (await redis.exists(completeKey)) === 0;
    },
    async rebuild(live) {
      // One transaction: a Redis that restarts half-way has either everything and the marker, or neither.
      const transaction = redis.multi();
      for (const { sessionId, expiresAt } of live.sessions) {
        const ttl = secondsUntil(expiresAt);
        if (ttl > 0) transaction.set(sessionKey(sessionId), '1', 'EX', ttl);
      }
      for (const { userId, before, expiresAt } of live.users) {
        const ttl = secondsUntil(expiresAt);
        if (ttl > 0) transaction.set(userKey(userId), String(Math.floor(before.getTime() / 1000)), 'EX', ttl);
      }
      transaction.set(completeKey, new Date().toISOString());
      await write(transaction.exec());
      // A write that failed after the database was read is not in `live`: it waits for the next rebuild.
      if (unsyncedSince !== null && unsyncedSince < live.readAt.getTime()) unsyncedSince = null;
    },
  };
}

/** Redis when configured (shared by every process), in-process otherwise. */
export function createRevocationStore(redisUrl: string | undefined, logger: Logger): { store: RevocationStore; close(): Promise<void> } {
  if (!redisUrl) return { store: createMemoryRevocationStore(), close: async () => undefined };
  const redis = connectRequestRedis(redisUrl, logger);
  return {
    store: createRedisRevocationStore(redis),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
