import { forbidden } from '@dorandoran/service-kit';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types';
import { renewForEvent } from '../context';
import { ChatMember } from '../entities/ChatMember.entity';

export const Subscription: SubscriptionResolvers = {
  // No `resolve`: each event is `{ messageAdded: MessageRecord }`, so shield guards `subscribe` itself.
  messageAdded: {
    async subscribe(_root, { roomId }, context) {
      const userId = context.viewer!.userId;
      const events = await context.chat.feed.watch(roomId, userId, (message) => {
        // Events reach only members (leaving ends the subscription), so the rules need no query per event.
        renewForEvent(context, roomId, true);
        return { messageAdded: message };
      });
      // A leave between the permission check and the subscription would not end it: check once more.
      if (!(await context.em.fork().count(ChatMember, { room: roomId, userId, leftAt: null }))) {
        await events.return?.();
        throw forbidden(`You left chat room "${roomId}"; open it again to follow it.`);
      }
      return events;
    },
  },

  chatRoomEvents: {
    subscribe(_root, _args, context) {
      const userId = context.viewer!.userId;
      return context.chat.feed.watchRooms(userId, async (event) => {
        // The caller's own leave is the room's last event for them, showing it as they left it.
        const ownLeave = event.kind === 'LEFT' && event.userId === userId;
        renewForEvent(context, event.roomId, ownLeave ? true : undefined);
        // Published to whoever was a member then: one who has left since gets nothing more of the room.
        if (!ownLeave && !(await context.loaders.isMember.load(event.roomId))) return null;
        const room = await context.loaders.roomById.load(event.roomId);
        if (!room) return null;
        const message = event.message ?? (event.messageId ? await context.loaders.messageById.load(event.messageId) : null);
        return { chatRoomEvents: { kind: event.kind, room, message } };
      });
    },
  },
};
