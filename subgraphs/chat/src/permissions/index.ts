import { allow, deny, type IRules } from 'graphql-shield';
import { isAuthenticated, isServiceOrAdmin } from '@dorandoran/service-kit';
import { canUseRoom, isMessageRoomMember, isRoomMember, isSelf } from './rules';

export const permissions: IRules = {
  Query: {
    '*': deny,
    chatRooms: isAuthenticated,
    chatRoom: canUseRoom((args) => args.id),
    _service: allow,
    _entities: allow,
  },
  Mutation: {
    '*': deny,
    createChatRoom: isAuthenticated,
    sendMessage: canUseRoom((args) => args.input.roomId),
    markRoomRead: canUseRoom((args) => args.roomId),
    leaveChatRoom: canUseRoom((args) => args.roomId),
    archiveOldMessages: isServiceOrAdmin,
  },
  // messageAdded has no `resolve`, so shield wraps `subscribe`: a refusal fails that operation only.
  Subscription: {
    '*': deny,
    messageAdded: canUseRoom((args) => args.roomId),
    chatRoomEvents: isAuthenticated,
  },
  ChatRoom: isRoomMember,
  Message: isMessageRoomMember,
  User: { chatRooms: isSelf },
};
