import Redis from 'ioredis';
import type { Logger } from './logger';

export function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis error'));
  return redis;
}
