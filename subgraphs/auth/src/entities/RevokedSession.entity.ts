import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A session ended while its access tokens may still be valid. Redis holds the revocation list
 * every verifier reads; this table is what auth writes it back from when Redis lost it. A row
 * goes once the last of those tokens has expired.
 */
@Entity({ tableName: 'revoked_sessions' })
export class RevokedSession {
  /** The session's id, the tokens' `sid` (the session row itself is deleted). */
  @PrimaryKey({ type: 'uuid' })
  sessionId: string;

  /** When the last access token the session could have had expires. */
  @Property({ type: 'datetime', index: true })
  expiresAt: Date;

  constructor(sessionId: string, expiresAt: Date) {
    this.sessionId = sessionId;
    this.expiresAt = expiresAt;
  }
}
