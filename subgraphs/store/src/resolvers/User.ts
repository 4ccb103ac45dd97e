import type { UserResolvers } from '../__generated__/resolvers-types';
import { listOrders } from '../orders';

export const User: UserResolvers = {
  // store knows a user by id only; the router asks users for the rest.
  __resolveReference: ({ id }) => ({ id }),
  orders: (user, { first, after }, context) => listOrders(context, { first, after, buyerId: user.id }),
};
