import type { EntityManager } from '@mikro-orm/postgresql';
import { rateLimited } from '@dorandoran/service-kit';
import { LoginAttempt } from './entities/LoginAttempt.entity';

export interface LockoutSettings {
  /** Failures that lock an email. @default 5 */
  attempts: number;
  /** Those failures count within this window, and the lock lasts as long from the last of them. @default 15m */
  windowSeconds: number;
}

export interface LoginGuard {
  /**
   * Runs `check` (a password or reset code verification) for the normalized email unless it is
   * locked out, and records the outcome; a success clears earlier failures. Unknown emails are
   * recorded and locked the same way, so the answer never tells whether an account exists.
   */
  attempt(em: EntityManager, email: string, check: () => Promise<boolean>): Promise<boolean>;
}

/** Old attempts deleted per attempt at most: enough to keep up (each attempt adds one), small enough to stay cheap. */
const PRUNE_BATCH = 100;

export function createLoginGuard(settings: LockoutSettings): LoginGuard {
  const windowMs = settings.windowSeconds * 1000;
  // A lock counts failures within one window and lasts a window from the last of them: older attempts never matter.
  const horizonMs = 2 * windowMs;
  const tooMany = (seconds: number) =>
    rateLimited(`Too many wrong passwords or reset codes for this email. Try again in ${Math.ceil(seconds / 60)} minute(s).`, seconds);

  /** Failures since the last success (newest first, at most `limit`) that are recent enough to matter. */
  async function failures(em: EntityManager, email: string, since: Date, limit: number): Promise<Date[]> {
    const success = await em.findOne(LoginAttempt, { email, succeeded: true }, { orderBy: { at: 'desc' }, fields: ['at'] });
    const after = success && success.at > since ? success.at : since;
    const found = await em.find(LoginAttempt, { email, succeeded: false, at: { $gt: after } }, { orderBy: { at: 'desc' }, limit, fields: ['at'] });
    return found.map((attempt) => attempt.at);
  }

  /** Seconds left on the lock: set when `attempts` failures fall within one window, lasting a window from the last. */
  async function lockedFor(em: EntityManager, email: string, now: Date): Promise<number> {
    const recent = await failures(em, email, new Date(now.getTime() - horizonMs), settings.attempts);
    if (recent.length < settings.attempts) return 0;
    const [newest, oldest] = [recent[0].getTime(), recent[recent.length - 1].getTime()];
    if (newest - oldest > windowMs) return 0;
    return Math.max(0, Math.ceil((newest + windowMs - now.getTime()) / 1000));
  }

  /** Deletes a bounded batch of attempts too old to matter, so the table does not grow forever. */
  async function prune(em: EntityManager, now: Date): Promise<void> {
    // PostgreSQL's DELETE has no LIMIT; the indexed sub-select bounds it.
    await em.execute('delete from login_attempts where id in (select id from login_attempts where at < ? limit ?)', [
      new Date(now.getTime() - horizonMs),
      PRUNE_BATCH,
    ]);
  }

  return {
    async attempt(em, email, check) {
      const now = new Date();
      await prune(em, now);
      const locked = await lockedFor(em, email, now);
      if (locked > 0) throw tooMany(locked);
      const attempt = new LoginAttempt(email);
      attempt.at = now;
      await em.insert(attempt);
      // Concurrent attempts are all recorded before any is counted, so at most `attempts` of them get to check a password.
      const pending = await failures(em, email, new Date(now.getTime() - windowMs), settings.attempts + 1);
      if (pending.length > settings.attempts) {
        await em.nativeDelete(LoginAttempt, { id: attempt.id });
        throw tooMany(settings.windowSeconds);
      }
      const ok = await check();
      if (ok) await em.nativeUpdate(LoginAttempt, { id: attempt.id }, { succeeded: true });
      return ok;
    },
  };
}
