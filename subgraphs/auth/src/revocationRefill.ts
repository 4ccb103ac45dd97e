import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { LiveRevocations, Logger, RevocationStore } from '@dorandoran/service-kit';
import { Account } from './entities/Account.entity';
import { RevokedSession } from './entities/RevokedSession.entity';

export interface RevocationRefillOptions {
  em: EntityManager;
  revocations: RevocationStore;
  /** A user-wide revocation lasts as long as a refresh token (what accountEvents writes). */
  refreshTokenTtlSeconds: number;
  logger: Logger;
  /** How often to look whether the list needs a rebuild. @default 1000 */
  intervalMs?: number;
}

export interface RevocationRefill {
  close(): Promise<void>;
}

/**
 * Redis holds the revocation list every verifier reads; auth's database holds what it is made
 * of (revoked_sessions, and accounts suspended or deleted). Every second auth looks whether the
 * list needs rebuilding (Redis came back empty, or one of auth's writes did not reach it) and
 * writes every live revocation back. Until then verifiers answer 503 to signed-in requests.
 */
export async function startRevocationRefill(options: RevocationRefillOptions): Promise<RevocationRefill> {
  const { revocations, logger } = options;
  const rebuild = async () => {
    const started = Date.now();
    const counts = await options.em.fork().transactional(async (tx) => {
      const live = await readLiveRevocations(tx, options.refreshTokenTtlSeconds);
      await revocations.rebuild(live);
      return { sessions: live.sessions.length, users: live.users.length };
    });
    logger.info({ ...counts, ms: Date.now() - started }, 'revocation list rebuilt from the database');
  };
  let failing = false;
  const pass = async () => {
    try {
      if (await revocations.needsRebuild()) await rebuild();
      failing = false;
    } catch (error) {
      // Once per outage: Redis (or the database) being away fails every pass until it is back.
      if (!failing) logger.warn({ err: (error as Error).message }, 'revocation list check failed; retrying every pass');
      failing = true;
    }
  };
  await pass();
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    // A pass still running (a slow database) is not joined by another.
    running ??= pass().finally(() => (running = undefined));
  }, options.intervalMs ?? 1000);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Every revocation a still-valid token could match. The accounts stay locked (FOR SHARE) until
 * the caller's transaction ends, so an account reactivated meanwhile lifts its revocation after
 * the rebuild has written it, not before.
 */
async function readLiveRevocations(em: EntityManager, refreshTokenTtlSeconds: number): Promise<LiveRevocations> {
  const readAt = new Date();
  const sessions = await em.find(RevokedSession, { expiresAt: { $gt: readAt } });
  const refreshTokensSince = new Date(readAt.getTime() - refreshTokenTtlSeconds * 1000);
  const accounts = await em.find(
    Account,
    { status: { $ne: 'ACTIVE' }, statusChangedAt: { $gt: refreshTokensSince } },
    { fields: ['id', 'statusChangedAt'], lockMode: LockMode.PESSIMISTIC_READ },
  );
  return {
    readAt,
    sessions: sessions.map(({ sessionId, expiresAt }) => ({ sessionId, expiresAt })),
    users: accounts.map(({ id, statusChangedAt }) => ({
      userId: id,
      before: statusChangedAt!,
      expiresAt: new Date(statusChangedAt!.getTime() + refreshTokenTtlSeconds * 1000),
    })),
  };
}
