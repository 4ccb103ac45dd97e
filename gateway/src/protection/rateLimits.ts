import { HeaderMap } from '@apollo/server';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { GraphQLError } from 'graphql';
import type { RateLimits } from '../config';

/** The budgets, as `rate_limited_total` labels them. */
export type Budget = 'ip' | 'user' | 'auth' | 'cost' | 'service';

/** Operations that guess or spend secrets: a much smaller budget per client IP. */
export const AUTH_OPERATIONS: ReadonlySet<string> = new Set(['logIn', 'signUp', 'requestPasswordReset', 'resetPassword']);

const WHAT: Record<Budget, string> = {
  ip: 'requests from your address',
  user: 'operations for your account',
  auth: 'sign-in, sign-up and password-reset attempts from your address',
  cost: 'query cost for your account or address',
  service: 'requests from the batch service',
};

/** Over a budget: HTTP 429 with Retry-After, code RATE_LIMITED. */
export class RateLimitedError extends GraphQLError {
  constructor(readonly budget: Budget, readonly retryAfterSeconds: number) {
    super(`Too many ${WHAT[budget]}; try again in ${retryAfterSeconds} s.`, {
      extensions: {
        code: 'RATE_LIMITED',
        budget,
        retryAfter: retryAfterSeconds,
        http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
      },
    });
  }
}

export interface RateLimiter {
  /** Spends `points` of `budget` for `key`; throws RateLimitedError when there are not enough left. */
  consume(budget: Budget, key: string, points?: number): Promise<void>;
}

/**
 * The router's budgets on rate-limiter-flexible: in Redis when it is set, so that every router
 * instance spends from the same budget, in memory otherwise. While Redis cannot be reached each
 * instance counts in its own memory instead of letting everything through.
 */
export function createRateLimiter(settings: RateLimits, redis: Redis | undefined, keyPrefix: string): RateLimiter {
  const points: Record<Budget, number> = {
    ip: settings.perIp,
    user: settings.perUser,
    auth: settings.authOperations,
    cost: settings.cost,
    service: settings.service,
  };
  const limiters = Object.fromEntries(
    (Object.keys(points) as Budget[]).map((budget) => {
      const options = { points: points[budget], duration: settings.windowSeconds, keyPrefix: `${keyPrefix}:${budget}` };
      const memory = new RateLimiterMemory(options);
      const limiter: RateLimiterAbstract = redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;
      return [budget, limiter];
    }),
  ) as Record<Budget, RateLimiterAbstract>;

  return {
    async consume(budget, key, spend = 1) {
      if (!settings.enabled || spend <= 0) return;
      try {
        await limiters[budget].consume(key, spend);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        throw new RateLimitedError(budget, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      }
    },
  };
}
