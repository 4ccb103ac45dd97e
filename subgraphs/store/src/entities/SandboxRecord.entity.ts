import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The sandbox payment provider's own books, kept in the store's database so that what it charged
 * survives a restart (a refund after a restart finds the charge). A real provider keeps these on
 * its side; the sandbox stands in for it, so they are not the store's order data.
 */
@Entity({ tableName: 'sandbox_charges' })
export class SandboxCharge {
  /** The sandbox's reference for the charge, as a payment's transactionId. */
  @PrimaryKey({ type: 'string', length: 100 })
  transactionId: string;

  /** One charge per order: a second confirm for it is declined. */
  @Property({ type: 'string', length: 200, unique: true })
  orderId: string;

  /** The test card it was made with: a refund names it by card or by transactionId. */
  @Property({ type: 'string', length: 200, index: true })
  card: string;

  @Property({ type: 'boolean', default: false })
  refunded: boolean = false;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  constructor(transactionId: string, orderId: string, card: string) {
    this.transactionId = transactionId;
    this.orderId = orderId;
    this.card = card;
  }
}

/** The first answer to each idempotency key (confirm or cancel): a replay gets it back unchanged. */
@Entity({ tableName: 'sandbox_operations' })
export class SandboxOperation {
  @PrimaryKey({ type: 'string', length: 10 })
  kind: 'confirm' | 'cancel';

  @PrimaryKey({ type: 'string', length: 200 })
  idempotencyKey: string;

  /** The outcome as the provider answered it (dates as ISO strings). */
  @Property({ type: 'json' })
  outcome: Record<string, unknown>;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  constructor(kind: 'confirm' | 'cancel', idempotencyKey: string, outcome: Record<string, unknown>) {
    this.kind = kind;
    this.idempotencyKey = idempotencyKey;
    this.outcome = outcome;
  }
}
