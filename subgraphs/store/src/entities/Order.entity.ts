import { Entity, Enum, Index, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import type { OrderStatus } from '../__generated__/resolvers-types';

export const ORDER_STATUSES = [
  'PENDING_PAYMENT',
  'PAID',
  'SHIPPED',
  'COMPLETED',
  'CANCELLED',
  'REFUNDED',
  'PAYMENT_FAILED',
] as const satisfies readonly OrderStatus[];

/** An order. Its status only changes through `changeStatus` (orderStatus.ts), which records history. */
@Entity({ tableName: 'orders' })
@Unique({ properties: ['buyerId', 'idempotencyKey'] })
@Index({ properties: ['buyerId', 'id'] })
@Index({ properties: ['status', 'id'] })
export class Order extends BaseEntity<'status' | 'shipRecipient' | 'shipPhone' | 'shipPostalCode' | 'shipLine1' | 'shipLine2'> {
  @Property({ type: 'uuid' })
  buyerId: string;

  @Enum({ items: () => ORDER_STATUSES, nativeEnumName: 'order_status' })
  status: OrderStatus = 'PENDING_PAYMENT';

  /** KRW, the sum of the items at the prices of the moment the order was placed. */
  @Property({ type: 'integer' })
  totalAmount: number;

  /** The buyer's key for this order: placing again with it returns this order. */
  @Property({ type: 'string', length: 100 })
  idempotencyKey: string;

  /** The delivery address, as placeOrder was given it (all null for an order placed without one). */
  @Property({ type: 'string', length: 50, nullable: true })
  shipRecipient: string | null = null;

  @Property({ type: 'string', length: 20, nullable: true })
  shipPhone: string | null = null;

  @Property({ type: 'string', length: 10, nullable: true })
  shipPostalCode: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  shipLine1: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  shipLine2: string | null = null;

  constructor(buyerId: string, totalAmount: number, idempotencyKey: string) {
    super();
    this.buyerId = buyerId;
    this.totalAmount = totalAmount;
    this.idempotencyKey = idempotencyKey;
  }
}
