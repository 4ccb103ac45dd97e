import Redis from 'ioredis';
import type { Logger } from './logger';

export function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis error'));
  return redis;
}

/** How long a request waits for Redis before taking its fail-safe. */
export const REQUEST_REDIS_TIMEOUT_MS = 500;

/**
 * For calls a request waits on. A stalled Redis costs a request at most the command timeout; a
 * Redis that is away fails a command at once (no offline queue). A command that failed is never
 * sent again later (no retries, nothing resent after a reconnect): its caller has moved on.
 */
export function connectRequestRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    commandTimeout: REQUEST_REDIS_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
  });
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis error'));
  return redis;
}
