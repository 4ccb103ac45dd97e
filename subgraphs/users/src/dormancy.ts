import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, type EventHandlers } from '@dorandoran/service-kit';
import { User } from './entities/User.entity';

const DAY_MS = 24 * 3600_000;

/**
 * The dormant-accounts rule: an ACTIVE user whose last sign-in (or, never signed in, whose sign-up)
 * is older than `inactiveDays` becomes dormant. Answers how many were marked now.
 */
export async function markDormantUsers(em: EntityManager, inactiveDays: number): Promise<number> {
  if (!Number.isInteger(inactiveDays) || inactiveDays < 1 || inactiveDays > 3650) {
    throw badUserInput('inactiveDays', 'inactiveDays must be a whole number of days from 1 to 3650.');
  }
  const cutoff = new Date(Date.now() - inactiveDays * DAY_MS);
  return em.nativeUpdate(
    User,
    {
      status: 'ACTIVE',
      dormantSince: null,
      $or: [{ lastLoginAt: { $lt: cutoff } }, { lastLoginAt: null, createdAt: { $lt: cutoff } }],
    },
    { dormantSince: new Date() },
  );
}

/** users learns of sign-ins from auth's events: the last sign-in moves forward and dormancy ends. */
export const signInHandlers: EventHandlers = {
  'auth.logged_in': async (event, em) => {
    const at = new Date(event.occurredAt);
    await em.nativeUpdate(User, { id: event.data.userId, $or: [{ lastLoginAt: null }, { lastLoginAt: { $lt: at } }] }, { lastLoginAt: at, dormantSince: null });
  },
};
