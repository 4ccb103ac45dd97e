import type { OrderActor } from '../entities/OrderStatusChange.entity';
import { Payment } from '../entities/Payment.entity';
import { confirm } from './pay';
import { claimLease } from './paymentAttempt';
import { refund } from './refund';
import type { OrderServices } from './services';
import { lockOrder } from './status';

const SYSTEM: OrderActor = { role: 'SYSTEM' };

/**
 * Settles payments whose last attempt got no answer (provider timeouts): each is confirmed or
 * refunded again with its own idempotency key, so the provider answers with what really happened
 * and nothing is charged or refunded twice. Returns how many were settled.
 */
export async function reconcilePayments(orders: OrderServices): Promise<number> {
  const stale = await orders.em.fork().find(
    Payment,
    { status: { $in: ['CONFIRMING', 'REFUNDING'] }, $or: [{ lockedUntil: null }, { lockedUntil: { $lt: new Date() } }] },
    { orderBy: { createdAt: 'asc' }, limit: 100 },
  );
  let settled = 0;
  for (const candidate of stale) {
    const payment = await orders.em.fork().transactional(async (tx) => {
      await lockOrder(tx, candidate.orderId);
      const current = await tx.findOneOrFail(Payment, candidate.id, { refresh: true });
      return (await claimLease(tx, current, current.status as 'CONFIRMING' | 'REFUNDING', orders.leaseMs)) ? current : null;
    });
    if (!payment) continue;
    try {
      const changed = payment.status === 'CONFIRMING' ? await confirm(orders, payment, SYSTEM) : await refund(orders, payment, SYSTEM, payment.refundReason);
      if (changed) settled++;
    } catch (error) {
      orders.logger.warn({ paymentId: payment.id, err: (error as Error).message }, 'payment not settled yet');
    }
  }
  return settled;
}
