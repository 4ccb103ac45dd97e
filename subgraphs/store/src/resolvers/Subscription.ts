import type { SubscriptionResolvers } from '../__generated__/resolvers-types';
import { renewForEvent } from '../context';

export const Subscription: SubscriptionResolvers = {
  // No `resolve`: each event is `{ orderStatusChanged: OrderRecord }`, so shield guards `subscribe` itself.
  orderStatusChanged: {
    subscribe: (_root, { orderId }, context) =>
      context.store.orders.feed.watch(orderId, (order) => {
        renewForEvent(context);
        return { orderStatusChanged: order };
      }),
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
