import CircuitBreaker from 'opossum';
import { callService, type Logger, type RevocationStore } from '@dorandoran/service-kit';
import type { UserStatus } from './__generated__/resolvers-types';

/**
 * Tells auth when an account is suspended, reactivated or deleted, so that auth ends its sessions
 * and refuses sign-in. The call has a timeout and a circuit breaker; when it fails, the fallback
 * revokes the user's tokens in the shared revocation store at once (every verifier reads it) and
 * keeps retrying the call in the background until auth has it.
 */
export interface AccountStatusNotifier {
  notify(userId: string, status: UserStatus): Promise<void>;
  close(): void;
}

export interface AccountStatusOptions {
  authUrl: string;
  timeoutMs: number;
  /** Internal calls carry the router secret; applyAccountStatus is @inaccessible, so only services can send it. */
  routerSecret: string;
  revocations: RevocationStore;
  /** How long a user-wide revocation lasts: the refresh-token lifetime. */
  revocationTtlSeconds: number;
  logger: Logger;
  /** @default 5000 */
  retryDelayMs?: number;
}

const APPLY = 'mutation ApplyAccountStatus($userId: ID!, $status: AccountStatus!) { applyAccountStatus(userId: $userId, status: $status) }';

export function createAccountStatusNotifier(options: AccountStatusOptions): AccountStatusNotifier {
  const retryDelay = options.retryDelayMs ?? 5000;
  /** The latest status auth has not yet acknowledged, per user: a retry never sends a stale one. */
  const pending = new Map<string, UserStatus>();
  let retryTimer: NodeJS.Timeout | undefined;

  async function callAuth(userId: string, status: UserStatus): Promise<void> {
    const body = await callService<{ applyAccountStatus?: boolean }>(
      { url: options.authUrl, routerSecret: options.routerSecret, timeoutMs: options.timeoutMs },
      APPLY,
      { userId, status },
    );
    // auth has no such account: a final answer, nothing to retry.
    if (body.errors?.some((error) => error.extensions?.code === 'NOT_FOUND')) return;
    if (!body.data?.applyAccountStatus) {
      throw new Error(`auth refused applyAccountStatus: ${body.errors?.map((e) => e.message).join('; ') ?? 'no answer'}`);
    }
  }

  const breaker = new CircuitBreaker(callAuth, {
    timeout: false, // fetch's own AbortSignal bounds each call
    errorThresholdPercentage: 50,
    volumeThreshold: 3,
    resetTimeout: 10_000,
  });

  async function deliver(userId: string, status: UserStatus): Promise<void> {
    await breaker.fire(userId, status);
    if (pending.get(userId) === status) pending.delete(userId);
  }

  function scheduleRetry() {
    if (retryTimer || pending.size === 0) return;
    retryTimer = setTimeout(async () => {
      retryTimer = undefined;
      for (const [userId, status] of pending) await deliver(userId, status).catch(() => undefined);
      scheduleRetry();
    }, retryDelay);
    retryTimer.unref();
  }

  return {
    async notify(userId, status) {
      pending.set(userId, status);
      try {
        await deliver(userId, status);
      } catch (error) {
        options.logger.warn({ userId, status, err: (error as Error).message }, 'auth not reached; revoking locally and retrying');
        if (status === 'ACTIVE') await options.revocations.restoreUser(userId);
        else await options.revocations.revokeUser(userId, options.revocationTtlSeconds);
        scheduleRetry();
      }
    },
    close() {
      clearTimeout(retryTimer);
      breaker.shutdown();
    },
  };
}
