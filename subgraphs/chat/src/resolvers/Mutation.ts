import type { MutationResolvers } from '../__generated__/resolvers-types';
import { archiveOldMessages } from '../archive';
import { markRoomRead, sendMessage } from '../messages';
import { createChatRoom, leaveChatRoom } from '../rooms';

export const Mutation: MutationResolvers = {
  createChatRoom: (_parent, { input }, { em, viewer, chat }) => createChatRoom(em, chat, viewer!.userId, input),

  sendMessage: (_parent, { input }, { em, viewer, chat }) => sendMessage(em, chat, viewer!.userId, input),

  async markRoomRead(_parent, { roomId, messageId }, { em, viewer, loaders, chat }) {
    await markRoomRead(em, chat.feed, viewer!.userId, roomId, messageId);
    return (await loaders.roomById.load(roomId))!;
  },

  async leaveChatRoom(_parent, { roomId }, { em, viewer, chat }) {
    await leaveChatRoom(em, chat.feed, roomId, viewer!.userId);
    return true;
  },

  archiveOldMessages: (_parent, { olderThanDays }, { em }) => archiveOldMessages(em, olderThanDays),
};
