import type { EntityManager } from '@mikro-orm/postgresql';
import { forbidden, unauthenticated, type EventRecorder, type Logger, type RevocationStore } from '@dorandoran/service-kit';
import type { Account } from './entities/Account.entity';
import { RefreshToken } from './entities/RefreshToken.entity';
import { RevokedSession } from './entities/RevokedSession.entity';
import { Session } from './entities/Session.entity';
import { hashRefreshToken, newRefreshToken, type AccessTokenIssuer } from './tokens';

/** What signUp, logIn and refreshSession hand to AuthPayload: a new token pair and the account it is for. */
export interface TokenPair {
  accessToken: string;
  /** Null once it went to the browser's cookie (sessionCookie.ts). */
  refreshToken: string | null;
  expiresIn: number;
  user: Account;
}

export interface SessionOptions {
  issueAccessToken: AccessTokenIssuer;
  revocations: RevocationStore;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** How long after its use a refresh token may be presented again while its successor is unused (answerLost). */
  reuseGraceSeconds: number;
  events: EventRecorder;
  logger: Logger;
}

/** A new token pair, with the refresh token in hand (the resolvers decide where it goes). */
export type IssuedSession = TokenPair & { refreshToken: string };

export interface Sessions {
  /** Starts a session for the account and flushes `em` (the account's own changes and an auth.logged_in event too). */
  start(em: EntityManager, account: Account, via: 'PASSWORD' | 'SIGN_UP'): Promise<IssuedSession>;
  /**
   * Trades a refresh token for a new pair. A token presented twice ends its session, unless it
   * comes again within the reuse grace and nothing issued since has been used (an answer lost).
   */
  refresh(em: EntityManager, refreshToken: string): Promise<IssuedSession>;
  /**
   * Deletes the sessions (their refresh tokens go with them) and refuses their access tokens from
   * now on: recorded in revoked_sessions, then in the shared list (a Redis that cannot take it now
   * gets it from the refill, and refuses every token meanwhile).
   */
  end(em: EntityManager, sessionIds: string[]): Promise<void>;
  /** Ends every session of the account, except one when given. */
  endAll(em: EntityManager, accountId: string, except?: string): Promise<void>;
}

const invalidRefreshToken = () => unauthenticated('The refresh token is not valid or has expired. Sign in again.');

export function createSessions(options: SessionOptions): Sessions {
  const refreshTtlMs = options.refreshTokenTtlSeconds * 1000;
  const accessTtlMs = options.accessTokenTtlSeconds * 1000;
  const reuseGraceMs = options.reuseGraceSeconds * 1000;

  /**
   * A used token presented again is taken for an answer that never arrived (a tab closed, a
   * connection dropped while the refresh was on its way), not for theft, while both hold: it was
   * used less than the grace ago, and no token issued since has been used — the client that asked
   * never showed it got one.
   */
  async function answerLost(tx: EntityManager, token: RefreshToken, usedAt: Date, now: Date): Promise<boolean> {
    if (now.getTime() - usedAt.getTime() >= reuseGraceMs) return false;
    return (await tx.count(RefreshToken, { session: token.session.id, id: { $ne: token.id }, usedAt: { $gte: usedAt } })) === 0;
  }

  async function issue(em: EntityManager, session: Session, account: Account, now: Date): Promise<IssuedSession> {
    const { token, hash } = newRefreshToken();
    session.expiresAt = new Date(now.getTime() + refreshTtlMs);
    session.lastUsedAt = now;
    em.persist(new RefreshToken(session, hash, session.expiresAt));
    await em.flush();
    return {
      accessToken: await options.issueAccessToken(account, session.id),
      refreshToken: token,
      expiresIn: options.accessTokenTtlSeconds,
      user: account,
    };
  }

  const sessions: Sessions = {
    start(em, account, via) {
      const now = new Date();
      const session = new Session(account, new Date(now.getTime() + refreshTtlMs));
      em.persist(session);
      // People's sign-ins only: the batch service signing in is not activity.
      if (!account.roles.includes('SERVICE')) options.events.record(em, 'auth.logged_in', account.id, { userId: account.id, sessionId: session.id, via });
      return issue(em, session, account, now);
    },

    async refresh(em, refreshToken) {
      const tokenHash = hashRefreshToken(refreshToken);
      const outcome = await em.transactional(async (tx): Promise<{ payload: IssuedSession } | { end: string; error: Error }> => {
        const now = new Date();
        // The session's row first: refreshes of one session (a claim, an answer lost and asked again)
        // go one after the other, so each sees what the one before it did to the session's tokens.
        const [locked] = await tx.execute<{ id: string }[]>(
          'select s.id from sessions s join refresh_tokens t on t.session_id = s.id where t.token_hash = ? for update of s',
          [tokenHash],
        );
        if (!locked) throw invalidRefreshToken();
        // One statement claims the token: of two concurrent refreshes only one can set used_at.
        const claimed = await tx.nativeUpdate(RefreshToken, { tokenHash, usedAt: null, expiresAt: { $gt: now } }, { usedAt: now });
        const token = await tx.findOne(RefreshToken, { tokenHash }, { populate: ['session.account'] });
        if (!token || (claimed === 0 && !token.usedAt)) throw invalidRefreshToken();
        const session = token.session.getEntity();
        const account = session.account.getEntity();
        if (claimed === 1) {
          // The session's other unused tokens were answers to a lost answer's retry (below): the one
          // used now is the one that arrived, and presenting any other from now on is reuse.
          await tx.nativeUpdate(RefreshToken, { session: session.id, usedAt: null }, { usedAt: now });
        } else if (!(await answerLost(tx, token, token.usedAt!, now))) {
          options.logger.warn({ sessionId: session.id, userId: account.id }, 'refresh token reused; ending the session');
          return { end: session.id, error: unauthenticated('This refresh token was already used, so its session has been ended to be safe. Sign in again.') };
        } else {
          options.logger.info({ sessionId: session.id, userId: account.id }, 'refresh token presented again before its successor was used; issuing another');
        }
        const revoked = await options.revocations.isRevoked({
          sessionId: session.id,
          userId: account.id,
          issuedAt: Math.floor(session.createdAt.getTime() / 1000),
        });
        if (account.status === 'SUSPENDED') return { end: session.id, error: forbidden('This account is suspended. Contact support.') };
        if (account.status !== 'ACTIVE' || revoked) return { end: session.id, error: unauthenticated('This session has ended. Sign in again.') };
        // Used tokens are kept only to recognize reuse; once expired they can go.
        await tx.nativeDelete(RefreshToken, { session: session.id, expiresAt: { $lte: now } });
        return { payload: await issue(tx, session, account, now) };
      });
      if ('payload' in outcome) return outcome.payload;
      // After the transaction, so that a concurrent winner has committed and its new token goes too.
      await sessions.end(em, [outcome.end]);
      throw outcome.error;
    },

    async end(em, sessionIds) {
      if (sessionIds.length === 0) return;
      const now = new Date();
      await em.transactional(async (tx) => {
        await tx.nativeDelete(Session, { id: { $in: sessionIds } });
        await tx.upsertMany(RevokedSession, sessionIds.map((id) => new RevokedSession(id, new Date(now.getTime() + accessTtlMs))));
        await tx.nativeDelete(RevokedSession, { expiresAt: { $lte: now } });
      });
      try {
        await Promise.all(sessionIds.map((id) => options.revocations.revokeSession(id, options.accessTokenTtlSeconds)));
      } catch (error) {
        options.logger.warn({ err: (error as Error).message, sessionIds }, 'revocation list unreachable; the refill will write these sessions');
      }
    },

    async endAll(em, accountId, except) {
      const found = await em.find(Session, { account: accountId, ...(except ? { id: { $ne: except } } : {}) }, { fields: ['id'] });
      await sessions.end(em, found.map((session) => session.id));
    },
  };
  return sessions;
}
