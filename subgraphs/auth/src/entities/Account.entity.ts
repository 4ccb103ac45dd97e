import { Entity, Enum, Property } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import type { Role } from '../__generated__/resolvers-types';

export const ROLES = ['USER', 'ADMIN', 'SERVICE'] as const satisfies readonly Role[];
/** Mirrors the users profile's status, which users announces in events. */
export const ACCOUNT_STATUSES = ['ACTIVE', 'SUSPENDED', 'DELETED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** Credentials and roles of a user. The id is the user's id across the graph (the users profile has the same). */
@Entity({ tableName: 'accounts' })
export class Account extends BaseEntity<'roles' | 'status' | 'lastLoginAt' | 'statusChangedAt'> {
  /** Normalized (trimmed, lower-case); cleared when the account is deleted, so the address can sign up again. */
  @Property({ type: 'string', length: 320, nullable: true, unique: true })
  email: string | null;

  /** argon2id; never selected unless asked for (`populate: ['passwordHash']`), never serialized. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  passwordHash: string | null;

  /** A person's always contain USER; the batch service's account has only SERVICE. */
  @Enum({ items: () => ROLES, array: true, default: ['USER'] })
  roles: Role[] = ['USER'];

  @Enum({ items: () => ACCOUNT_STATUSES, nativeEnumName: 'account_status', default: 'ACTIVE' })
  status: AccountStatus = 'ACTIVE';

  @Property({ type: 'datetime', nullable: true })
  lastLoginAt: Date | null = null;

  /** When users changed the status last (the event's time): an older event arriving late changes nothing. */
  @Property({ type: 'datetime', nullable: true })
  statusChangedAt: Date | null = null;

  constructor(email: string, passwordHash: string) {
    super();
    this.email = email;
    this.passwordHash = passwordHash;
  }
}
