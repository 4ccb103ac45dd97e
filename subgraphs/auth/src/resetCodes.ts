import { randomInt } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import { raw, type EntityManager } from '@mikro-orm/postgresql';
import type { BackgroundTasks } from './background';
import { Account } from './entities/Account.entity';
import { PasswordResetCode } from './entities/PasswordResetCode.entity';
import type { Mailer } from './mailer';
import type { PasswordHasher } from './passwords';

/** Guesses a code allows, right or wrong; then it is void. */
const RESET_CODE_MAX_ATTEMPTS = 5;
/** Codes one account is sent per window at most: more requests send nothing, so codes cannot be cycled to get more guesses. */
const RESET_CODE_MAX_REQUESTS = 3;
const RESET_CODE_REQUEST_WINDOW_MS = 15 * 60 * 1000;

export interface ResetCodeOptions {
  passwords: PasswordHasher;
  mailer: Mailer;
  ttlSeconds: number;
  background: BackgroundTasks;
}

export interface ResetCodes {
  /**
   * Makes and hashes a code, then returns. After that, in the background: if the email has an active
   * account that is under the request limit, the code replaces its earlier ones and is mailed.
   */
  request(em: EntityManager, email: string): Promise<void>;
  /** Uses up the account's current code when `code` matches it. Every guess counts toward the limit. */
  redeem(em: EntityManager, account: Account | null, code: string): Promise<boolean>;
}

export function createResetCodes(options: ResetCodeOptions): ResetCodes {
  const lifetime = options.ttlSeconds % 60 === 0 ? `${options.ttlSeconds / 60} minutes` : `${options.ttlSeconds} seconds`;

  /** Stores the code for the email's active account, unless it was sent its share of codes lately; true when it is to be mailed. */
  function store(em: EntityManager, email: string, codeHash: string): Promise<boolean> {
    return em.transactional(async (tx) => {
      // The account's row stays locked until commit, so concurrent requests for it are counted one at a time.
      const account = await tx.findOne(Account, { email, status: 'ACTIVE' }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!account) return false;
      const now = new Date();
      const windowStart = new Date(now.getTime() - RESET_CODE_REQUEST_WINDOW_MS);
      // Older rows no longer count, and their codes have expired or been replaced (or are replaced below).
      await tx.nativeDelete(PasswordResetCode, { account: account.id, createdAt: { $lte: windowStart } });
      if ((await tx.count(PasswordResetCode, { account: account.id })) >= RESET_CODE_MAX_REQUESTS) return false;
      // Earlier codes are voided rather than deleted: their rows count toward the limit.
      await tx.nativeUpdate(PasswordResetCode, { account: account.id, expiresAt: { $gt: now } }, { expiresAt: now });
      tx.persist(new PasswordResetCode(account, codeHash, new Date(now.getTime() + options.ttlSeconds * 1000)));
      return true;
    });
  }

  return {
    async request(em, email) {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const codeHash = await options.passwords.hash(code);
      // Whether the email has an account is looked up only after the answer, so every answer takes the same time.
      options.background.run('could not issue a password reset code', async () => {
        if (!(await store(em.fork(), email, codeHash))) return;
        await options.mailer.send({
          to: email,
          subject: 'Your DoranDoran password reset code',
          text: `Your password reset code is ${code}. It works once, for ${lifetime}.\nIf you did not ask for it, ignore this mail: your password stays as it is.`,
        });
      });
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
