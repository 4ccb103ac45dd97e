import { Entity, Enum, OneToOne, Property, ref, type Ref } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import type { PaymentStatus } from '../__generated__/resolvers-types';
import { Order } from './Order.entity';

export const PAYMENT_STATUSES = ['CONFIRMING', 'APPROVED', 'DECLINED', 'REFUNDING', 'REFUNDED'] as const satisfies readonly PaymentStatus[];

/**
 * An order's one payment. Its id is the idempotency key sent to the provider, so every attempt at
 * confirming it (retries, reconciliation) is the same payment to the provider. `lockedUntil` is the
 * lease of the attempt in flight: only one caller talks to the provider at a time.
 */
@Entity({ tableName: 'payments' })
export class Payment extends BaseEntity<'status' | 'transactionId' | 'method' | 'approvedAt' | 'failureCode' | 'failureReason' | 'refundReason' | 'refundedAt' | 'lockedUntil' | 'attempts'> {
  @OneToOne({ entity: () => Order, ref: true, owner: true, unique: true })
  order: Ref<Order>;

  /** sandbox or toss. */
  @Property({ type: 'string', length: 20 })
  provider: string;

  @Property({ type: 'string', length: 200 })
  paymentKey: string;

  /** KRW, the order's total when payment was asked for. */
  @Property({ type: 'integer' })
  amount: number;

  @Enum({ items: () => PAYMENT_STATUSES, nativeEnumName: 'payment_status' })
  status: PaymentStatus = 'CONFIRMING';

  @Property({ type: 'string', length: 200, nullable: true })
  transactionId: string | null = null;

  @Property({ type: 'string', length: 50, nullable: true })
  method: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  approvedAt: Date | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  failureCode: string | null = null;

  @Property({ type: 'text', nullable: true })
  failureReason: string | null = null;

  /** Why the order was cancelled, kept while the refund is under way. */
  @Property({ type: 'text', nullable: true })
  refundReason: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  refundedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  lockedUntil: Date | null = null;

  /** Calls made to the provider for it (confirm and refund). */
  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  constructor(order: Order, provider: string, paymentKey: string, amount: number) {
    super();
    this.order = ref(order);
    this.provider = provider;
    this.paymentKey = paymentKey;
    this.amount = amount;
  }

  get orderId(): string {
    return this.order.id;
  }
}
