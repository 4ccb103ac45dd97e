import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import type { UserStatus } from '../__generated__/resolvers-types';

export const USER_STATUSES = ['ACTIVE', 'SUSPENDED', 'DELETED'] as const satisfies readonly UserStatus[];

/** A user's profile. The id is the account id auth made at sign-up. */
@Entity({ tableName: 'users' })
export class User {
  @PrimaryKey({ type: 'uuid' })
  id: string;

  @Property({ type: 'string', length: 30 })
  nickname: string;

  @Property({ type: 'string', length: 2048, nullable: true })
  avatarUrl?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  bio?: string | null;

  @Index()
  @Enum({ items: () => USER_STATUSES, nativeEnumName: 'user_status', default: 'ACTIVE' })
  status: UserStatus = 'ACTIVE';

  @Property({ type: 'string', length: 500, nullable: true })
  statusReason?: string | null;

  @Property({ type: 'string', length: 35, default: 'ko-KR' })
  locale: string;

  /** A copy of the sign-in email, kept only so administrators can search by it; auth owns the email. */
  @Property({ type: 'string', length: 320, nullable: true, hidden: true })
  email?: string | null;

  /** The last sign-in, from auth's auth.logged_in events. */
  @Property({ type: 'datetime', nullable: true })
  lastLoginAt: Date | null = null;

  /** Set by the dormant-accounts job; cleared by the next sign-in. */
  @Property({ type: 'datetime', nullable: true })
  dormantSince: Date | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(id: string, nickname: string, email: string, locale: string) {
    this.id = id;
    this.nickname = nickname;
    this.email = email;
    this.locale = locale;
  }
}
