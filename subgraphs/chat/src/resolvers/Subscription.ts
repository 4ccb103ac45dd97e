import { forbidden } from '@dorandoran/service-kit';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types';
import { renewForEvent } from '../context';
import { ChatMember } from '../entities/ChatMember.entity';

export const Subscription: SubscriptionResolvers = {
  // No `resolve`: each event is `{ messageAdded: MessageParent }`, so shield guards `subscribe` itself.
  messageAdded: {
    async subscribe(_root, { roomId }, context) {
      const userId = context.viewer!.userId;
      const events = await context.chat.feed.watch(roomId, userId, (message) => {
        renewForEvent(context, roomId);
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
};
