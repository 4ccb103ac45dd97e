import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, conflict, isUuid, notFound } from '@dorandoran/service-kit';
import type { Role } from './__generated__/resolvers-types';
import { Account, ROLES } from './entities/Account.entity';

/**
 * Replaces an account's roles; USER is always kept, and the last active administrator cannot lose
 * ADMIN. Returns the account and whether it lost ADMIN.
 */
export async function setRoles(em: EntityManager, userId: string, roles: readonly Role[]): Promise<{ account: Account; demoted: boolean }> {
  if (roles.includes('SERVICE')) throw badUserInput('roles', 'SERVICE belongs to service accounts only; give people USER and ADMIN.');
  const wanted = ROLES.filter((role) => role === 'USER' || roles.includes(role));
  return em.transactional(async (tx) => {
    const account = isUuid(userId) ? await tx.findOne(Account, { id: userId }) : null;
    if (!account || account.status === 'DELETED') throw notFound('User', userId);
    if (account.roles.includes('SERVICE')) throw conflict('This is a service account; its roles are fixed.');
    const demoted = account.roles.includes('ADMIN') && !wanted.includes('ADMIN');
    if (demoted) {
      // Every active administrator's row is locked, so two admins demoting each other cannot both succeed.
      const admins = await tx.find(Account, { roles: { $contains: ['ADMIN'] }, status: 'ACTIVE' }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!admins.some((admin) => admin.id !== account.id)) {
        throw conflict('This is the last administrator. Make another user ADMIN first, then demote this one.');
      }
    }
    account.roles = wanted;
    return { account, demoted };
  });
}

export type GrantAdminResult = 'granted' | 'already admin' | 'no account' | 'not active';

/** What `npm run admin:create` does: gives ADMIN to an existing, active account (by normalized email). */
export async function grantAdmin(em: EntityManager, email: string): Promise<GrantAdminResult> {
  const account = await em.findOne(Account, { email });
  if (!account) return 'no account';
  if (account.status !== 'ACTIVE') return 'not active';
  if (account.roles.includes('ADMIN')) return 'already admin';
  account.roles = ['USER', 'ADMIN'];
  await em.flush();
  return 'granted';
}
