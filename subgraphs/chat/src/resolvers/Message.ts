import type { MessageResolvers } from '../__generated__/resolvers-types';

export const Message: MessageResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.messageById.load(id),
  room: async (message, _args, { loaders }) => (await loaders.roomById.load(message.roomId))!,
  sender: (message) => ({ id: message.senderId }),
  // A live event carries the count as of its sending, so delivering it reads nothing.
  unreadCount: (message, _args, { loaders }) => message.unreadCount ?? loaders.unreadCountByMessageId.load(message.id),
};
