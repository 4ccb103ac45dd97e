import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** One consumed domain event, reduced to what the daily report counts. */
@Entity({ tableName: 'report_facts' })
export class ReportFact {
  @PrimaryKey({ type: 'uuid' })
  eventId: string;

  /** The event type, e.g. `order.paid`. */
  @Property({ type: 'string', length: 100 })
  kind: string;

  /** Who acted: the new user, the one who signed in, the sender, the buyer. */
  @Property({ type: 'uuid' })
  userId: string;

  /** KRW, for orders. */
  @Property({ type: 'integer', nullable: true })
  amount: number | null;

  @Index()
  @Property({ type: 'datetime' })
  occurredAt: Date;

  constructor(eventId: string, kind: string, userId: string, amount: number | null, occurredAt: Date) {
    this.eventId = eventId;
    this.kind = kind;
    this.userId = userId;
    this.amount = amount;
    this.occurredAt = occurredAt;
  }
}
