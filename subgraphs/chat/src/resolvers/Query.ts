import type { QueryResolvers } from '../__generated__/resolvers-types';
import { listRooms } from '../rooms';

export const Query: QueryResolvers = {
  chatRooms: (_parent, { first, after }, { em, viewer, loaders }) => listRooms(em, loaders, viewer!.userId, first, after),
  chatRoom: (_parent, { id }, { loaders }) => loaders.roomById.load(id),
};
