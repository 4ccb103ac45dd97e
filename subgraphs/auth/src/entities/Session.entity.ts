import { Entity, ManyToOne, Property, ref, type Ref } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import { Account } from './Account.entity';

/** One signed-in device: the access tokens it gets carry its id as `sid`, so it can be revoked as a whole. */
@Entity({ tableName: 'sessions' })
export class Session extends BaseEntity<'lastUsedAt'> {
  @ManyToOne({ entity: () => Account, ref: true, deleteRule: 'cascade', index: true })
  account: Ref<Account>;

  /** Slides forward with every refresh; the session ends when its refresh token expires unused. */
  @Property({ type: 'datetime', index: true })
  expiresAt: Date;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  lastUsedAt: Date = new Date();

  constructor(account: Account, expiresAt: Date) {
    super();
    this.account = ref(account);
    this.expiresAt = expiresAt;
  }
}
