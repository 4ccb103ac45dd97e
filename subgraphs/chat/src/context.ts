import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventRecorder, RequestIdentity, Viewer } from '@dorandoran/service-kit';
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

export interface Context {
  /** A fork of the ORM's EntityManager for this request (or this subscription event) only. */
  em: EntityManager;
  viewer: Viewer | null;
  /** The request carries the router secret (router or another service). */
  trusted: boolean;
  loaders: Loaders;
  chat: ChatServices;
}

export function createContext(em: EntityManager, chat: ChatServices, identity: RequestIdentity): Context {
  const fork = em.fork();
  return { em: fork, viewer: identity.viewer, trusted: identity.trusted, loaders: createLoaders(fork, identity.viewer), chat };
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
