import { z } from 'zod';

/**
 * Every domain event: who produces it, the version producers write now, and that version's payload
 * schema. Payloads are validated when an event is recorded and again when it is consumed.
 * Changing a payload incompatibly means a new version (and consumers that read both until the old
 * one has drained); docs/EVENTS.md lists producers, consumers and payloads.
 */
const id = z.uuid();
const money = z.object({ amount: z.number().int().nonnegative(), currency: z.literal('KRW') });
const userStatus = z.enum(['ACTIVE', 'SUSPENDED', 'DELETED']);
const orderStatus = z.enum(['PENDING_PAYMENT', 'PAID', 'SHIPPED', 'COMPLETED', 'CANCELLED', 'PAYMENT_FAILED', 'REFUNDED']);

export const eventCatalog = {
  'user.registered': {
    producer: 'users',
    version: 1,
    schema: z.object({ userId: id }),
  },
  'user.status_changed': {
    producer: 'users',
    version: 1,
    schema: z.object({ userId: id, from: userStatus, to: userStatus }),
  },
  'user.deleted': {
    producer: 'users',
    version: 1,
    schema: z.object({ userId: id }),
  },
  'user.profile_changed': {
    producer: 'users',
    version: 1,
    schema: z.object({ userId: id, fields: z.array(z.enum(['nickname', 'avatarUrl', 'bio'])).min(1) }),
  },
  'auth.logged_in': {
    producer: 'auth',
    version: 1,
    schema: z.object({ userId: id, sessionId: id, via: z.enum(['PASSWORD', 'SIGN_UP']) }),
  },
  'chat.message_sent': {
    producer: 'chat',
    version: 1,
    schema: z.object({ messageId: id, roomId: id, senderId: id }),
  },
  'order.placed': {
    producer: 'store',
    version: 1,
    schema: z.object({ orderId: id, buyerId: id, total: money, itemCount: z.number().int().positive() }),
  },
  'order.paid': {
    producer: 'store',
    version: 1,
    schema: z.object({ orderId: id, buyerId: id, amount: money }),
  },
  'order.status_changed': {
    producer: 'store',
    version: 1,
    schema: z.object({
      orderId: id,
      buyerId: id,
      from: orderStatus,
      to: orderStatus,
      actorRole: z.enum(['BUYER', 'ADMIN', 'SYSTEM']),
    }),
  },
} as const;

export type EventType = keyof typeof eventCatalog;
export type EventData<T extends EventType> = z.infer<(typeof eventCatalog)[T]['schema']>;
export const eventTypes = Object.keys(eventCatalog) as EventType[];
