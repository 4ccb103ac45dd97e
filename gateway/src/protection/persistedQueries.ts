import { readFileSync } from 'node:fs';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import type Redis from 'ioredis';
import { GraphQLError } from 'graphql';

/** Operations known ahead of time, from a persisted-query manifest (Apollo's format). */
export interface PersistedQueryManifest {
  /** The manifest's operation bodies by id (the sha256 of the body). */
  byId: ReadonlyMap<string, string>;
  bodies: ReadonlySet<string>;
}

interface Manifest {
  format?: string;
  version?: number;
  operations?: { id?: unknown; body?: unknown }[];
}

/** Reads `{ format: "apollo-persisted-query-manifest", version: 1, operations: [{ id, name, type, body }] }`. */
export function loadManifest(file: string): PersistedQueryManifest {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch (error) {
    throw new Error(`PERSISTED_QUERY_MANIFEST: cannot read the manifest ${file}: ${(error as Error).message}`);
  }
  if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new Error(`PERSISTED_QUERY_MANIFEST: ${file} is not an apollo-persisted-query-manifest, version 1`);
  }
  const byId = new Map<string, string>();
  for (const operation of manifest.operations) {
    if (typeof operation.id !== 'string' || typeof operation.body !== 'string') {
      throw new Error(`PERSISTED_QUERY_MANIFEST: every operation in ${file} needs a string id and body`);
    }
    byId.set(operation.id, operation.body);
  }
  return { byId, bodies: new Set(byId.values()) };
}

export const notInSafelist = () =>
  new GraphQLError('This router runs only the operations in its safelist, and this is not one of them. Send a known operation (or its id).', {
    extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST', http: { status: 400 } },
  });

/** Apollo Server's key (`apq:<sha256>`) without its prefix. */
const hashOf = (key: string) => key.slice(key.lastIndexOf(':') + 1);

/**
 * The persisted-query cache: the manifest's operations by id first (so a client may send an id
 * alone, without ever registering it), then automatic persisted queries in Redis when set (every
 * router instance sees a query once registered) or memory. In safelist mode only the manifest
 * answers, and nothing is registered.
 */
export function persistedQueryCache(
  redis: Redis | undefined,
  keyPrefix: string,
  manifest: PersistedQueryManifest | undefined,
  safelist: boolean,
): KeyValueCache<string> {
  const known = async (key: string) => manifest?.byId.get(hashOf(key));
  if (safelist) return { get: known, set: async () => undefined, delete: async () => false };
  const registered = redis ? redisCache(redis, keyPrefix) : new InMemoryLRUCache<string>();
  return {
    get: async (key) => (await known(key)) ?? (await registered.get(key)),
    set: (key, value, options) => registered.set(key, value, options),
    delete: (key) => registered.delete(key),
  };
}

function redisCache(redis: Redis, keyPrefix: string): KeyValueCache<string> {
  const prefixed = (key: string) => `${keyPrefix}:${key}`;
  return {
    // A cache that cannot be reached is a miss: the client sends the full query again.
    get: async (key) => (await redis.get(prefixed(key)).catch(() => null)) ?? undefined,
    async set(key, value, options) {
      if (options?.ttl) await redis.set(prefixed(key), value, 'EX', options.ttl);
      else await redis.set(prefixed(key), value);
    },
    delete: async (key) => (await redis.del(prefixed(key))) > 0,
  };
}
