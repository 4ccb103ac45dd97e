import type { ChatRoomConnectionResolvers } from '../__generated__/resolvers-types';
import { encodeRoomCursor } from '../pagination';

export const ChatRoomConnection: ChatRoomConnectionResolvers = {
  edges: ({ rooms }) => rooms.map((room) => ({ cursor: encodeRoomCursor(room), node: room })),
  pageInfo: ({ rooms, hasNextPage, hasPreviousPage }) => ({
    hasNextPage,
    hasPreviousPage,
    startCursor: rooms.length ? encodeRoomCursor(rooms[0]) : null,
    endCursor: rooms.length ? encodeRoomCursor(rooms[rooms.length - 1]) : null,
  }),
};
