import type { MessageResolvers } from '../__generated__/resolvers-types';

export const Message: MessageResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.messageById.load(id),
  room: async (message, _args, { loaders }) => (await loaders.roomById.load(message.roomId))!,
  sender: (message) => ({ id: message.senderId }),
};
