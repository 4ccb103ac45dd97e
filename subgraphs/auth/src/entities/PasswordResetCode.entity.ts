import { Entity, ManyToOne, Property, ref, type Ref } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import { Account } from './Account.entity';

/** An emailed 6-digit code, stored as an argon2id hash; single use, a few guesses, then void. */
@Entity({ tableName: 'password_reset_codes' })
export class PasswordResetCode extends BaseEntity<'usedAt' | 'attempts'> {
  @ManyToOne({ entity: () => Account, ref: true, deleteRule: 'cascade', index: true })
  account: Ref<Account>;

  @Property({ type: 'text', hidden: true })
  codeHash: string;

  @Property({ type: 'datetime' })
  expiresAt: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt: Date | null = null;

  /** Guesses so far, counted before each is checked. */
  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  constructor(account: Account, codeHash: string, expiresAt: Date) {
    super();
    this.account = ref(account);
    this.codeHash = codeHash;
    this.expiresAt = expiresAt;
  }
}
