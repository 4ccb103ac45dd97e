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
   * Runs `check` (a password verification) for the normalized email unless it is locked out,
   * and records the outcome. Unknown emails are recorded and locked the same way, so the
   * answer never tells whether an account exists.
   */
  attempt(em: EntityManager, email: string, check: () => Promise<boolean>): Promise<boolean>;
  /** Records a success, which clears earlier failures (e.g. after a password reset). */
  succeeded(em: EntityManager, email: string): Promise<void>;
}

export function createLoginGuard(settings: LockoutSettings): LoginGuard {
  const windowMs = settings.windowSeconds * 1000;
  const tooMany = (seconds: number) =>
    rateLimited(
      `Too many wrong passwords for this email. Try again in ${Math.ceil(seconds / 60)} minute(s), or reset the password.`,
      seconds,
    );

  /** Failures since the last success (newest first, at most `limit`) that are recent enough to matter. */
  async function failures(em: EntityManager, email: string, since: Date, limit: number): Promise<Date[]> {
    const success = await em.findOne(LoginAttempt, { email, succeeded: true }, { orderBy: { at: 'desc' }, fields: ['at'] });
    const after = success && success.at > since ? success.at : since;
    const found = await em.find(LoginAttempt, { email, succeeded: false, at: { $gt: after } }, { orderBy: { at: 'desc' }, limit, fields: ['at'] });
    return found.map((attempt) => attempt.at);
  }

  /** Seconds left on the lock: set when `attempts` failures fall within one window, lasting a window from the last. */
  async function lockedFor(em: EntityManager, email: string, now: Date): Promise<number> {
    const recent = await failures(em, email, new Date(now.getTime() - 2 * windowMs), settings.attempts);
    if (recent.length < settings.attempts) return 0;
    const [newest, oldest] = [recent[0].getTime(), recent[recent.length - 1].getTime()];
    if (newest - oldest > windowMs) return 0;
    return Math.max(0, Math.ceil((newest + windowMs - now.getTime()) / 1000));
  }

  return {
    async attempt(em, email, check) {
      const now = new Date();
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

    async succeeded(em, email) {
      const attempt = new LoginAttempt(email);
      attempt.succeeded = true;
      await em.insert(attempt);
    },
  };
}
