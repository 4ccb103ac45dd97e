import type { UserResolvers } from '../__generated__/resolvers-types';
import { listRooms } from '../rooms';

export const User: UserResolvers = {
  // chat knows a user by id only; the router asks users for the rest.
  __resolveReference: ({ id }) => ({ id }),
  chatRooms: (user, { first, after }, { em, loaders }) => listRooms(em, loaders, user.id, first, after),
};
