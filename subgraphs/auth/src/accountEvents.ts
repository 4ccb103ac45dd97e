import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventHandlers, RevocationStore } from '@dorandoran/service-kit';
import { Account, type AccountStatus } from './entities/Account.entity';
import { PasswordResetCode } from './entities/PasswordResetCode.entity';
import type { Sessions } from './sessions';

export interface AccountEventDeps {
  sessions: Sessions;
  revocations: RevocationStore;
  /** How long a user-wide revocation lasts: as long as a refresh token could still be used. */
  refreshTokenTtlSeconds: number;
}

/**
 * users owns the account status; auth follows it from users' events. Suspension or deletion ends
 * every session (refresh tokens deleted, access tokens refused through the revocation store) and
 * blocks sign-in; reactivation lifts the user-wide revocation. Deletion also drops the credentials.
 */
export function accountEventHandlers(deps: AccountEventDeps): EventHandlers {
  async function apply(em: EntityManager, userId: string, status: AccountStatus, at: Date) {
    const account = await em.findOne(Account, { id: userId });
    // No account: a profile without one (not made through signUp) has no sessions to end.
    if (!account) return;
    // Deletion is final, and an event older than the status already applied arrived late.
    if (account.status === 'DELETED' || (account.statusChangedAt && account.statusChangedAt > at)) return;
    account.status = status;
    account.statusChangedAt = at;
    if (status === 'DELETED') {
      // The address may sign up again; the hash is gone for good.
      account.email = null;
      account.passwordHash = null;
    }
    await em.flush();
    if (status === 'ACTIVE') {
      await deps.revocations.restoreUser(userId);
      return;
    }
    await em.nativeDelete(PasswordResetCode, { account: userId });
    await deps.sessions.endAll(em, userId);
    await deps.revocations.revokeUser(userId, deps.refreshTokenTtlSeconds);
  }

  return {
    'user.status_changed': (event, em) => apply(em, event.data.userId, event.data.to, new Date(event.occurredAt)),
    'user.deleted': (event, em) => apply(em, event.data.userId, 'DELETED', new Date(event.occurredAt)),
  };
}
