import { Entity, Property } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';

/** A payment-provider notification already applied: a replay of it (same body) changes nothing. */
@Entity({ tableName: 'payment_webhook_events' })
export class WebhookEvent extends BaseEntity {
  @Property({ type: 'string', length: 20 })
  provider: string;

  /** SHA-256 of the notification's body. */
  @Property({ type: 'string', length: 64, unique: true })
  digest: string;

  @Property({ type: 'string', length: 100 })
  eventType: string;

  constructor(provider: string, digest: string, eventType: string) {
    super();
    this.provider = provider;
    this.digest = digest;
    this.eventType = eventType;
  }
}
