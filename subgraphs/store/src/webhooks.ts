import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { HttpError, isUuid, readBody, sendJson, type HttpRoute, type EventRecorder } from '@dorandoran/service-kit';
import type { Order } from './entities/Order.entity';
import { Payment } from './entities/Payment.entity';
import { WebhookEvent } from './entities/WebhookEvent.entity';
import { applyConfirmation, applyRefund, refundedAtProvider, settle, type OrderServices } from './orders';
import { verifyWebhookSignature } from './payments/webhookSignature';

export const WEBHOOK_PATH = '/webhooks/payments';
const MAX_BODY_BYTES = 64 * 1024;

/** A payment-status notification, as Toss Payments sends it (PAYMENT_STATUS_CHANGED). */
interface PaymentStatusNotification {
  eventType: string;
  data?: { paymentKey?: string; orderId?: string; status?: string };
}

function parse(body: string): PaymentStatusNotification {
  try {
    const value = JSON.parse(body) as PaymentStatusNotification;
    if (typeof value?.eventType === 'string') return value;
  } catch {
    // answered below
  }
  throw new HttpError(400, 'BAD_REQUEST', 'The body must be a JSON notification with an eventType.');
}

/**
 * POST /webhooks/payments: the provider's asynchronous notifications, passed on by the router
 * (gateway/src/webhookForward.ts) with their body and signature headers unchanged. The signature (HMAC with the
 * webhook secret, over the body and a transmission time within 5 minutes) is checked first; an
 * unsigned, tampered or stale notification is refused with 401 and changes nothing. A notification
 * is applied once: its digest is stored in the same transaction as the change it causes, so a
 * replay (or the provider's retry) answers 200 and changes nothing.
 */
export function paymentWebhookRoute(orders: OrderServices, secret: string): HttpRoute {
  return {
    method: 'POST',
    path: WEBHOOK_PATH,
    async handle(req, res) {
      try {
        const body = await readBody(req, MAX_BODY_BYTES);
        const verdict = verifyWebhookSignature(req.headers, body, secret);
        if (!verdict.ok) throw new HttpError(401, 'UNAUTHENTICATED', `Signature refused: ${verdict.reason}`);
        const notification = parse(body);
        const digest = createHash('sha256').update(body).digest('hex');
        try {
          const changed = await settle(orders, async (tx) => {
            tx.persist(new WebhookEvent(orders.provider.name, digest, notification.eventType));
            await tx.flush();
            return apply(tx, orders.events, notification);
          });
          sendJson(res, 200, { received: true, orderStatus: changed?.status ?? null });
        } catch (error) {
          if (!(error instanceof UniqueConstraintViolationException)) throw error;
          sendJson(res, 200, { received: true, duplicate: true });
        }
      } catch (error) {
        if (error instanceof HttpError) {
          orders.logger.warn({ status: error.status, reason: error.message }, 'payment webhook refused');
          sendJson(res, error.status, { error: error.message });
          return;
        }
        orders.logger.error({ err: (error as Error).message }, 'payment webhook failed');
        // 500 makes the provider retry later; nothing was recorded.
        sendJson(res, 500, { error: 'The notification could not be applied; retry later.' });
      }
    },
  };
}

type Tx = Parameters<Parameters<typeof settle>[1]>[0];

/** What a notification changes: only payments it names by both order and payment key. */
async function apply(tx: Tx, events: EventRecorder, notification: PaymentStatusNotification): Promise<Order | null> {
  const { orderId, paymentKey, status } = notification.data ?? {};
  if (notification.eventType !== 'PAYMENT_STATUS_CHANGED' || !orderId || !isUuid(orderId) || !paymentKey || !status) return null;
  const payment = await tx.findOne(Payment, { order: orderId, paymentKey });
  if (!payment) return null;
  const system = { role: 'SYSTEM' } as const;
  switch (status) {
    case 'DONE':
      return applyConfirmation(tx, events, payment.id, { kind: 'approved', transactionId: paymentKey, method: null, approvedAt: new Date() }, system);
    case 'ABORTED':
    case 'EXPIRED':
      return applyConfirmation(tx, events, payment.id, { kind: 'declined', code: status, message: `The payment ${status.toLowerCase()} at the provider.` }, system);
    case 'CANCELED':
      if (payment.status === 'REFUNDING') return applyRefund(tx, events, payment.id, { kind: 'cancelled', cancelledAt: new Date() }, system, null);
      if (payment.status === 'APPROVED') return refundedAtProvider(tx, events, payment);
      return null;
    default:
      return null;
  }
}
