import { Entity, Enum, ManyToOne, Property, ref, type Ref } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import type { OrderActorRole, OrderStatus } from '../__generated__/resolvers-types';
import { ORDER_STATUSES, Order } from './Order.entity';

export const ORDER_ACTOR_ROLES = ['BUYER', 'ADMIN', 'SYSTEM'] as const satisfies readonly OrderActorRole[];

/** Who made a change: a person (buyer or administrator), or the store itself. */
export type OrderActor = { role: 'BUYER' | 'ADMIN'; userId: string } | { role: 'SYSTEM'; userId?: undefined };

/** One line of an order's history; `createdAt` is when it happened. */
@Entity({ tableName: 'order_status_changes' })
export class OrderStatusChange extends BaseEntity<'reason'> {
  @ManyToOne({ entity: () => Order, ref: true, index: true })
  order: Ref<Order>;

  @Enum({ items: () => ORDER_STATUSES, nativeEnumName: 'order_status', nullable: true })
  fromStatus: OrderStatus | null;

  @Enum({ items: () => ORDER_STATUSES, nativeEnumName: 'order_status' })
  toStatus: OrderStatus;

  @Property({ type: 'uuid', nullable: true })
  actorId: string | null;

  @Enum({ items: () => ORDER_ACTOR_ROLES, nativeEnumName: 'order_actor_role' })
  actorRole: OrderActorRole;

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  constructor(order: Order, fromStatus: OrderStatus | null, toStatus: OrderStatus, actor: OrderActor, reason: string | null) {
    super();
    this.order = ref(order);
    this.fromStatus = fromStatus;
    this.toStatus = toStatus;
    this.actorId = actor.userId ?? null;
    this.actorRole = actor.role;
    this.reason = reason;
  }

  get orderId(): string {
    return this.order.id;
  }
}
