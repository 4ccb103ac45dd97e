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
export class Order extends BaseEntity<'status'> {
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

  constructor(buyerId: string, totalAmount: number, idempotencyKey: string) {
    super();
    this.buyerId = buyerId;
    this.totalAmount = totalAmount;
    this.idempotencyKey = idempotencyKey;
  }
}
