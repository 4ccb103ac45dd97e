import type { ChatRoomResolvers } from '../__generated__/resolvers-types';
import { pageSize } from '@dorandoran/service-kit';
import { decodeMessageCursor } from '../pagination';

export const ChatRoom: ChatRoomResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.roomById.load(id),

  members: async (room, _args, { loaders }) => (await loaders.memberIdsByRoomId.load(room.id)).map((id) => ({ id })),

  async messages(room, { last, before }, { loaders }) {
    const size = pageSize(last, 'last', 50);
    const beforeSeq = before ? decodeMessageCursor(before) : null;
    const newestFirst = await loaders.messagePage.load({ roomId: room.id, last: size, beforeSeq });
    return {
      messages: newestFirst.slice(0, size).reverse(),
      hasPreviousPage: newestFirst.length > size,
      // The message the cursor points at is newer than this page.
      hasNextPage: beforeSeq !== null,
    };
  },

  lastMessage: (room, _args, { loaders }) => loaders.lastMessageByRoomId.load(room.id),

  unreadCount: (room, _args, { loaders }) => loaders.unreadCountByRoomId.load(room.id),
};
