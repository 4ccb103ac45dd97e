import { mapAsyncIterator, type Logger, type PubSub } from '@dorandoran/service-kit';
import type { ChatRoomEventKind } from './__generated__/resolvers-types';
import type { Message } from './entities/Message.entity';
import type { MessageRecord } from './messages';

/** Every event of a room goes to one topic, so that a leave is seen in order with the messages. */
export const roomTopic = (roomId: string) => `chat.room.${roomId}`;

/** Every event of a user's rooms goes to the user's topic: a client learns of rooms it does not know yet. */
export const userTopic = (userId: string) => `chat.user.${userId}`;

/** A message as it travels: every field its resolvers read, so delivering it reads nothing. */
export type MessagePayload = MessageRecord & { createdAt: string; unreadCount: number };

/** What travels through a room's topic: a message, or a leave. */
export type RoomEvent = { type: 'messageAdded'; message: MessagePayload } | { type: 'memberLeft'; roomId: string; userId: string };

/**
 * What travels through a user's topic. The room is read when the event is delivered (its unread
 * count is the subscriber's); `userId` is who joined, read or left.
 */
export interface UserEvent {
  kind: ChatRoomEventKind;
  roomId: string;
  userId: string;
  message?: MessagePayload;
  /** READ: the newest message read, loaded when delivered (its unreadCount has changed). */
  messageId?: string;
}

/** A member's read mark: who has not read a message is who is behind it. */
export interface MemberRead {
  userId: string;
  lastReadSeq: number;
}

/** Rooms' live events: published after the change commits, watched by subscriptions. */
export interface RoomFeed {
  /** A new message: to the room's topic, and to each current member's topic. */
  messageSent(message: Pick<Message, 'id' | 'roomId' | 'senderId' | 'text' | 'seq' | 'createdAt'>, members: readonly MemberRead[]): Promise<void>;
  /** A room created with these members, or a member back in a room: to each of them. */
  joined(roomId: string, userIds: readonly string[]): Promise<void>;
  /** `readerId` moved their read mark up to the message: to every current member. */
  read(roomId: string, readerId: string, messageId: string, memberIds: readonly string[]): Promise<void>;
  /** A member left: ends their subscriptions to the room; to the leaver and to every remaining member. */
  memberLeft(roomId: string, userId: string, remainingIds: readonly string[]): Promise<void>;
  /** The room's messages from now on, mapped per event; ends when the user leaves the room. */
  watch<T>(roomId: string, userId: string, map: (message: MessageRecord) => T): Promise<AsyncIterableIterator<T>>;
  /** The user's room events from now on; `map` may drop one (null), e.g. of a room they have left since. */
  watchRooms<T>(userId: string, map: (event: UserEvent) => Promise<T | null>): Promise<AsyncIterableIterator<T>>;
  /** Subscriptions being served now (GET /health shows it). */
  readonly activeSubscriptions: number;
}

/** Others who have not reached the message's sequence yet. */
export const unreadBy = (message: Pick<Message, 'senderId' | 'seq'>, members: readonly MemberRead[]) =>
  members.filter((member) => member.userId !== message.senderId && member.lastReadSeq < message.seq).length;

export function createRoomFeed(pubsub: PubSub, logger: Logger): RoomFeed {
  let active = 0;

  // The change is committed already: a lost event costs live delivery only, so it is logged, not thrown.
  async function publish(topic: string, event: RoomEvent | UserEvent) {
    try {
      await pubsub.publish(topic, event);
    } catch (error) {
      logger.warn({ topic, event: 'type' in event ? event.type : event.kind, err: (error as Error).message }, 'chat event not published');
    }
  }

  const toUsers = (userIds: readonly string[], event: UserEvent) => Promise.all(userIds.map((userId) => publish(userTopic(userId), event)));

  return {
    async messageSent(message, members) {
      const payload: MessagePayload = {
        id: message.id,
        roomId: message.roomId,
        senderId: message.senderId,
        text: message.text,
        createdAt: message.createdAt.toISOString(),
        unreadCount: unreadBy(message, members),
      };
      await Promise.all([
        publish(roomTopic(message.roomId), { type: 'messageAdded', message: payload }),
        toUsers(
          members.map((member) => member.userId),
          { kind: 'MESSAGE', roomId: message.roomId, userId: message.senderId, message: payload },
        ),
      ]);
    },
    joined: async (roomId, userIds) => {
      await Promise.all(userIds.map((userId) => publish(userTopic(userId), { kind: 'JOINED', roomId, userId })));
    },
    read: async (roomId, readerId, messageId, memberIds) => {
      await toUsers(memberIds, { kind: 'READ', roomId, userId: readerId, messageId });
    },
    async memberLeft(roomId, userId, remainingIds) {
      await Promise.all([
        publish(roomTopic(roomId), { type: 'memberLeft', roomId, userId }),
        toUsers([userId, ...remainingIds], { kind: 'LEFT', roomId, userId }),
      ]);
    },
    async watch(roomId, userId, map) {
      const events = await pubsub.subscribe<RoomEvent>(roomTopic(roomId));
      active++;
      return mapAsyncIterator(events, {
        // The member's own leave ends it; others' leaves are not messages.
        decide: (event) => (event.type === 'messageAdded' ? 'deliver' : event.userId === userId ? 'end' : 'skip'),
        map: (event) => map((event as Extract<RoomEvent, { type: 'messageAdded' }>).message),
        onEnd: () => active--,
      });
    },
    async watchRooms(userId, map) {
      const events = await pubsub.subscribe<UserEvent>(userTopic(userId));
      active++;
      const mapped = mapAsyncIterator(events, { map, onEnd: () => active-- });
      return mapAsyncIterator(mapped, { decide: (value) => (value === null ? 'skip' : 'deliver'), map: (value) => value! });
    },
    get activeSubscriptions() {
      return active;
    },
  };
}
