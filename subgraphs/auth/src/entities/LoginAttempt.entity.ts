import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { newId } from '@dorandoran/service-kit';

/** One sign-in attempt, by normalized email whether or not an account has it, for the lockout. */
@Entity({ tableName: 'login_attempts' })
@Index({ properties: ['email', 'at'] })
export class LoginAttempt {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'string', length: 320 })
  email: string;

  @Property({ type: 'boolean', default: false })
  succeeded: boolean = false;

  /** Indexed on its own too, for deleting attempts too old to matter. */
  @Property({ type: 'datetime', defaultRaw: 'now()', index: true })
  at: Date = new Date();

  constructor(email: string) {
    this.email = email;
  }
}
