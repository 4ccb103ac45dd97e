import { Entity, ManyToOne, Property, ref, type Ref } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import { Session } from './Session.entity';

/**
 * A refresh token, stored as its SHA-256 only. Used tokens stay (until they expire) so that
 * presenting one again is recognized as reuse and ends the session.
 */
@Entity({ tableName: 'refresh_tokens' })
export class RefreshToken extends BaseEntity<'usedAt'> {
  @ManyToOne({ entity: () => Session, ref: true, deleteRule: 'cascade', index: true })
  session: Ref<Session>;

  /** Hex SHA-256 of the token: the token is 256 random bits, so a fast hash is enough. */
  @Property({ type: 'string', length: 64, unique: true })
  tokenHash: string;

  @Property({ type: 'datetime', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'datetime' })
  expiresAt: Date;

  constructor(session: Session, tokenHash: string, expiresAt: Date) {
    super();
    this.session = ref(session);
    this.tokenHash = tokenHash;
    this.expiresAt = expiresAt;
  }
}
