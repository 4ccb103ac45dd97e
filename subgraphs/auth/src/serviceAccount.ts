import type { EntityManager } from '@mikro-orm/postgresql';
import { SERVICE_ACCOUNT_EMAIL } from '@dorandoran/service-kit';
import { Account } from './entities/Account.entity';
import { PasswordResetCode } from './entities/PasswordResetCode.entity';
import { RefreshToken } from './entities/RefreshToken.entity';
import { Session } from './entities/Session.entity';
import type { PasswordHasher } from './passwords';

/**
 * Makes sure the batch service's account exists with the configured password (made at first start,
 * updated when the password changes). It has no profile in users and cannot sign up or reset.
 */
export async function ensureServiceAccount(em: EntityManager, passwords: PasswordHasher, password: string): Promise<void> {
  const account = await em.findOne(Account, { email: SERVICE_ACCOUNT_EMAIL }, { populate: ['passwordHash'] });
  if (account && (await passwords.verify(account.passwordHash, password))) return;
  const passwordHash = await passwords.hash(password);
  if (account) {
    account.passwordHash = passwordHash;
  } else {
    const created = new Account(SERVICE_ACCOUNT_EMAIL, passwordHash);
    created.roles = ['SERVICE'];
    em.persist(created);
  }
  await em.flush();
}

/** The session-cleanup job: what can no longer be used goes. Answers how many sessions went. */
export async function purgeEndedSessions(em: EntityManager): Promise<number> {
  const now = new Date();
  return em.transactional(async (tx) => {
    await tx.nativeDelete(RefreshToken, { expiresAt: { $lte: now } });
    await tx.nativeDelete(PasswordResetCode, { expiresAt: { $lte: now } });
    return tx.nativeDelete(Session, { expiresAt: { $lte: now } });
  });
}
