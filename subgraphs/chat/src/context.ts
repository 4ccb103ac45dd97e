import type { EntityManager } from '@mikro-orm/postgresql';
import { requestContext, type EventRecorder, type RequestContext, type RequestIdentity } from '@dorandoran/service-kit';
import { createLoaders, type Loaders } from './loaders';
import type { RoomFeed } from './roomFeed';
import type { UsersClient } from './usersClient';

/** What the resolvers use besides the database; made once per server. */
export interface ChatServices {
  users: UsersClient;
  feed: RoomFeed;
  /** Records chat.message_sent with the message. */
  events: EventRecorder;
}

export interface Context extends RequestContext<Loaders> {
  chat: ChatServices;
}

export function createContext(em: EntityManager, chat: ChatServices, identity: RequestIdentity): Context {
  return { ...requestContext(em, identity, createLoaders), chat };
}

/**
 * A subscription's context lives as long as the subscription: each event gets a fresh em and
 * loaders, so nothing read for one event (a room's unreadCount, say) is served stale to the next.
 * `member` is what the event's source knows of the viewer's membership of the room; undefined
 * leaves it to the rules' query.
 */
export function renewForEvent(context: Context, roomId: string, member?: boolean): void {
  context.em = context.em.fork();
  context.loaders = createLoaders(context.em, context.viewer);
  if (member !== undefined) context.loaders.isMember.prime(roomId, member);
}
