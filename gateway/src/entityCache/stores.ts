import type Redis from 'ioredis';

/**
 * Where cached entities live. An entity (a subgraph's `User` with one id) holds one value per
 * selection asked of it; invalidating the entity drops all of them at once. A fill that started
 * before the last invalidation of its entity is not stored: it may hold what the change replaced.
 */
export interface EntityStore {
  /** The clock fills are compared with invalidations by (Redis's own clock when shared). */
  now(): Promise<number>;
  /** The cached JSON of each (entity, selection), undefined where there is none or it expired. */
  get(lookups: readonly EntityLookup[]): Promise<(string | undefined)[]>;
  /** Stores each value unless its entity was invalidated at or after `fetchedSince`. */
  set(entries: readonly (EntityLookup & { json: string })[], fetchedSince: number, ttlMs: number): Promise<void>;
  invalidate(entities: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface EntityLookup {
  /** `<subgraph>:<type>:<id>`: what an event's invalidation names. */
  entity: string;
  /** The selection's hash, and the representation's other fields when it has any. */
  selection: string;
}

/**
 * How long an invalidation is remembered, for fills under way when it happened: longer than the
 * slowest subgraph fetch can take (SUBGRAPH_TIMEOUT_MS is at most 120 s).
 */
const INVALIDATION_MEMORY_MS = 5 * 60_000;

/** In this process (no REDIS_URL): bounded by entries, the least recently used dropped first. */
export function memoryEntityStore(maxEntries: number): EntityStore & { readonly size: number } {
  const values = new Map<string, { json: string; expiresAt: number }>();
  const invalidated = new Map<string, number>();
  const keyOf = ({ entity, selection }: EntityLookup) => `${entity}\n${selection}`;
  const forgetOldInvalidations = (now: number) => {
    for (const [entity, at] of invalidated) {
      if (at > now - INVALIDATION_MEMORY_MS) break;
      invalidated.delete(entity);
    }
  };
  return {
    get size() {
      return values.size;
    },
    now: async () => Date.now(),
    async get(lookups) {
      const now = Date.now();
      return lookups.map((lookup) => {
        const key = keyOf(lookup);
        const value = values.get(key);
        if (!value) return undefined;
        values.delete(key);
        if (value.expiresAt <= now) return undefined;
        values.set(key, value);
        return value.json;
      });
    },
    async set(entries, fetchedSince, ttlMs) {
      const now = Date.now();
      for (const entry of entries) {
        if ((invalidated.get(entry.entity) ?? -Infinity) >= fetchedSince) continue;
        const key = keyOf(entry);
        values.delete(key);
        values.set(key, { json: entry.json, expiresAt: now + ttlMs });
      }
      while (values.size > maxEntries) values.delete(values.keys().next().value!);
    },
    async invalidate(entities) {
      const now = Date.now();
      forgetOldInvalidations(now);
      const dropped = new Set(entities);
      for (const entity of dropped) {
        invalidated.delete(entity);
        invalidated.set(entity, now);
      }
      for (const key of values.keys()) if (dropped.has(key.slice(0, key.indexOf('\n')))) values.delete(key);
    },
    close: async () => values.clear(),
  };
}

/**
 * Stores a value unless the entity was invalidated since the fill began (both times are Redis's),
 * in one step so that an invalidation cannot fall between the check and the write. Each value
 * carries its own expiry: the hash's expiry is moved forward by every selection stored in it.
 */
const FILL = `
local invalidated = redis.call('GET', KEYS[2])
if invalidated and tonumber(invalidated) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1`;

const INVALIDATE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('SET', KEYS[i + 1], now, 'PX', ARGV[1])
end
return now`;

/** Shared by every router instance (REDIS_URL): a hash per entity, `<prefix>:<entity>`. */
export function redisEntityStore(redis: Redis, prefix: string): EntityStore {
  const hashKey = (entity: string) => `${prefix}:${entity}`;
  const invalidatedKey = (entity: string) => `${prefix}:invalidated:${entity}`;
  return {
    async now() {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    },
    async get(lookups) {
      if (lookups.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const { entity, selection } of lookups) pipeline.hget(hashKey(entity), selection);
      const results = (await pipeline.exec()) ?? [];
      const now = Date.now();
      return results.map(([error, raw]) => {
        if (error) throw error;
        if (typeof raw !== 'string') return undefined;
        const separator = raw.indexOf(' ');
        return Number(raw.slice(0, separator)) > now ? raw.slice(separator + 1) : undefined;
      });
    },
    async set(entries, fetchedSince, ttlMs) {
      if (entries.length === 0) return;
      const pipeline = redis.pipeline();
      const expiresAt = Date.now() + ttlMs;
      for (const entry of entries) {
        pipeline.eval(FILL, 2, hashKey(entry.entity), invalidatedKey(entry.entity), fetchedSince, entry.selection, `${expiresAt} ${entry.json}`, ttlMs);
      }
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    },
    async invalidate(entities) {
      if (entities.length === 0) return;
      await redis.eval(INVALIDATE, entities.length * 2, ...entities.flatMap((entity) => [hashKey(entity), invalidatedKey(entity)]), INVALIDATION_MEMORY_MS);
    },
    close: async () => undefined,
  };
}
