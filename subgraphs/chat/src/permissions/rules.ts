import { rule } from 'graphql-shield';
import { forbidden, unauthenticated } from '@dorandoran/service-kit';
import type { Context } from '../context';
import type { MessageRecord } from '../messages';

/** Membership is cached by the per-request loader, so the rules themselves cache nothing. */
async function memberOf(roomId: string, { viewer, loaders }: Context) {
  if (!viewer) return unauthenticated();
  return (await loaders.isMember.load(roomId))
    ? true
    : forbidden(`Only members of chat room "${roomId}" can do this, and you are not one (or the room does not exist).`);
}

/** For operations on a room named by an argument: reading it, sending, marking read, leaving, subscribing. */
export const canUseRoom = (roomIdOf: (args: Record<string, any>) => string) =>
  rule({ cache: 'no_cache' })((_parent, args, context: Context) => memberOf(roomIdOf(args), context));

/** Type-level: every field of a room, also one reached through `_entities`. */
export const isRoomMember = rule({ cache: 'no_cache' })((room: { id: string }, _args, context: Context) => memberOf(room.id, context));

/** Type-level: every field of a message, by its room's membership. */
export const isMessageRoomMember = rule({ cache: 'no_cache' })((message: MessageRecord, _args, context: Context) =>
  memberOf(message.roomId, context),
);

/** A user's room list is theirs alone. */
export const isSelf = rule({ cache: 'no_cache' })((user: { id: string }, _args, { viewer }: Context) => {
  if (!viewer) return unauthenticated();
  return viewer.userId === user.id ? true : forbidden('Only the user themself can see their chat rooms.');
});
