import { randomInt } from 'node:crypto';
import { raw, type EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '@dorandoran/service-kit';
import type { Account } from './entities/Account.entity';
import { PasswordResetCode } from './entities/PasswordResetCode.entity';
import type { Mailer } from './mailer';
import type { PasswordHasher } from './passwords';

/** Guesses a code allows, right or wrong; then it is void. */
const RESET_CODE_MAX_ATTEMPTS = 5;

export interface ResetCodeOptions {
  passwords: PasswordHasher;
  mailer: Mailer;
  ttlSeconds: number;
  logger: Logger;
}

export interface ResetCodes {
  /** Replaces the account's earlier codes with a new one and mails it; without an account it spends the same time. */
  send(em: EntityManager, account: Account | null, email: string): Promise<void>;
  /** Uses up the account's current code when `code` matches it. Every guess counts toward the limit. */
  redeem(em: EntityManager, account: Account | null, code: string): Promise<boolean>;
}

export function createResetCodes(options: ResetCodeOptions): ResetCodes {
  const lifetime = options.ttlSeconds % 60 === 0 ? `${options.ttlSeconds / 60} minutes` : `${options.ttlSeconds} seconds`;
  return {
    async send(em, account, email) {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const codeHash = await options.passwords.hash(code);
      if (!account) return;
      await em.nativeDelete(PasswordResetCode, { account: account.id });
      em.persist(new PasswordResetCode(account, codeHash, new Date(Date.now() + options.ttlSeconds * 1000)));
      await em.flush();
      try {
        await options.mailer.send({
          to: email,
          subject: 'Your DoranDoran password reset code',
          text: `Your password reset code is ${code}. It works once, for ${lifetime}.\nIf you did not ask for it, ignore this mail: your password stays as it is.`,
        });
      } catch (error) {
        // The caller is answered `true` either way, so a failure to mail must not tell that the account exists.
        options.logger.error({ err: error, userId: account.id }, 'could not send the password reset mail');
      }
    },

    async redeem(em, account, code) {
      const now = new Date();
      const current = account
        ? await em.findOne(
            PasswordResetCode,
            { account: account.id, usedAt: null, expiresAt: { $gt: now }, attempts: { $lt: RESET_CODE_MAX_ATTEMPTS } },
            { orderBy: { createdAt: 'desc' } },
          )
        : null;
      if (!current) {
        await options.passwords.verify(null, code);
        return false;
      }
      // Count the guess before checking it, in one statement, so parallel guesses cannot pass the limit.
      const counted = await em.nativeUpdate(
        PasswordResetCode,
        { id: current.id, usedAt: null, attempts: { $lt: RESET_CODE_MAX_ATTEMPTS } },
        { attempts: raw('attempts + 1') },
      );
      if (counted !== 1 || !(await options.passwords.verify(current.codeHash, code))) return false;
      return (await em.nativeUpdate(PasswordResetCode, { id: current.id, usedAt: null }, { usedAt: now })) === 1;
    },
  };
}
