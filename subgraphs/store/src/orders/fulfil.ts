import { conflict } from '@dorandoran/service-kit';
import type { Order } from '../entities/Order.entity';
import type { OrderActor } from '../entities/OrderStatusChange.entity';
import { Payment } from '../entities/Payment.entity';
import type { OrderServices } from './services';
import { changeStatus, lockOrder, statusInWords } from './status';

/** shipOrder and completeOrder: administrators moving a paid order along. */
export async function fulfil(orders: OrderServices, orderId: string, to: 'SHIPPED' | 'COMPLETED', actor: OrderActor): Promise<Order> {
  const changed = await orders.em.fork().transactional(async (tx) => {
    const order = await lockOrder(tx, orderId);
    const payment = await tx.findOne(Payment, { order: order.id });
    if (payment?.status === 'REFUNDING') throw conflict(`This order is being refunded, so it cannot be ${statusInWords(to).toLowerCase()}.`);
    return changeStatus(tx, orders.events, order, to, actor);
  });
  await orders.feed.statusChanged(changed);
  return changed;
}
