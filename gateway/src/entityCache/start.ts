import type { EventTransport, Logger } from '@dorandoran/service-kit';
import type Redis from 'ioredis';
import type { RouterConfig } from '../config';
import type { RouterMetrics } from '../metrics';
import { EntityCache } from './entityCache';
import { invalidateOnEvents } from './invalidation';
import { memoryEntityStore, redisEntityStore } from './stores';

/**
 * The router's entity cache, in Redis when the router has it (shared by its instances), in the
 * process otherwise; undefined when turned off, or without the events that keep it current.
 */
export async function startEntityCache(options: {
  config: Pick<RouterConfig, 'entityCacheTtlSeconds' | 'entityCacheMaxEntries'>;
  redis: Redis | undefined;
  redisKeyPrefix: string;
  events: EventTransport | undefined;
  metrics: RouterMetrics;
  logger: Logger;
}): Promise<{ cache: EntityCache; close(): Promise<void> } | undefined> {
  const { config, redis, events, metrics, logger } = options;
  if (!events || config.entityCacheTtlSeconds === 0) return undefined;
  const cache = new EntityCache({
    store: redis ? redisEntityStore(redis, `${options.redisKeyPrefix}:entities`) : memoryEntityStore(config.entityCacheMaxEntries),
    ttlMs: config.entityCacheTtlSeconds * 1000,
    logger,
    counted: (subgraph, result, count) => {
      if (count) metrics.entityCache.inc({ subgraph, result }, count);
    },
  });
  const invalidation = await invalidateOnEvents(cache, events, logger, redis !== undefined);
  return { cache, close: () => invalidation.close() };
}
