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
 * For calls a request waits on, each through withinRequestTimeout: a stalled Redis costs a request
 * at most REQUEST_REDIS_TIMEOUT_MS; a Redis that is away fails a command at once (no offline
 * queue). A command that failed is never sent again later (no retries, nothing resent after a
 * reconnect): its caller has moved on. The client's own command timeout, a few times longer, only
 * bounds how long an abandoned command is kept.
 */
export function connectRequestRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    commandTimeout: 4 * REQUEST_REDIS_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
  });
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis error'));
  return redis;
}

/**
 * Fails `command` once REQUEST_REDIS_TIMEOUT_MS have passed without an answer. A reply that came
 * while the process was busy is read in the event loop's poll phase, which follows the timers
 * phase in which a plain timeout would already have failed the command: a busy process would take
 * its own lag for a stalled Redis and refuse requests (fail closed) for nothing. So the verdict
 * waits for that poll phase (setImmediate) first.
 */
export function withinRequestTimeout<T>(command: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => setImmediate(() => reject(new Error(`Redis did not answer within ${REQUEST_REDIS_TIMEOUT_MS} ms`))),
      REQUEST_REDIS_TIMEOUT_MS,
    );
    command.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
