import type { SubscriptionResolvers } from '../__generated__/resolvers-types';
import { renewForEvent } from '../context';

export const Subscription: SubscriptionResolvers = {
  // No `resolve`: each event is `{ orderStatusChanged: OrderParent }`, so shield guards `subscribe` itself.
  orderStatusChanged: {
    subscribe: (_root, { orderId }, context) =>
      context.store.checkout.feed.watch(orderId, (order) => {
        renewForEvent(context);
        return { orderStatusChanged: order };
      }),
  },
};
