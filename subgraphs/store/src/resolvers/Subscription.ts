import type { SubscriptionResolvers } from '../__generated__/resolvers-types';
import { renewForEvent } from '../context';
import { Order } from '../entities/Order.entity';
import { isFinal } from '../orders';

export const Subscription: SubscriptionResolvers = {
  // No `resolve`: each event is `{ orderStatusChanged: OrderRecord }`, so shield guards `subscribe` itself.
  orderStatusChanged: {
    async subscribe(_root, { orderId }, context) {
      const events = await context.store.orders.feed.watch(orderId, (order) => {
        renewForEvent(context);
        return { orderStatusChanged: order };
      });
      // Watching first, then reading: a change in between is delivered, and a final order completes at once.
      const order = await context.em.fork().findOne(Order, orderId);
      if (order && isFinal(order.status)) await events.return?.();
      return events;
    },
  },
  // Each event reads the product as it is then: a page shows the newest stock, however events interleave.
  productChanged: {
    subscribe: (_root, { ids }, context) =>
      context.store.products.watch(ids, async (productId) => {
        renewForEvent(context);
        return { productChanged: (await context.loaders.productById.load(productId))! };
      }),
  },
};
