import { mapAsyncIterator, type Logger, type PubSub } from '@dorandoran/service-kit';
import type { Message } from './entities/Message.entity';
import type { MessageParent } from './resolvers/mappers';

/** Every event of a room goes to one topic, so that a leave is seen in order with the messages. */
export const roomTopic = (roomId: string) => `chat.room.${roomId}`;

/** What travels through the pub/sub: a message with every field its resolvers read, or a leave. */
export type RoomEvent =
  | { type: 'messageAdded'; message: MessageParent & { createdAt: string } }
  | { type: 'memberLeft'; roomId: string; userId: string };

/** A room's live events: published after the change commits, watched by subscriptions. */
export interface RoomFeed {
  messageAdded(message: Message): Promise<void>;
  memberLeft(roomId: string, userId: string): Promise<void>;
  /** The room's messages from now on, mapped per event; ends when the user leaves the room. */
  watch<T>(roomId: string, userId: string, map: (message: MessageParent) => T): Promise<AsyncIterableIterator<T>>;
  /** Subscriptions being served now (GET /health shows it). */
  readonly activeSubscriptions: number;
}

export function createRoomFeed(pubsub: PubSub, logger: Logger): RoomFeed {
  let active = 0;

  // The change is committed already: a lost event costs live delivery only, so it is logged, not thrown.
  async function publish(roomId: string, event: RoomEvent) {
    try {
      await pubsub.publish(roomTopic(roomId), event);
    } catch (error) {
      logger.warn({ roomId, type: event.type, err: (error as Error).message }, 'room event not published');
    }
  }

  return {
    messageAdded: (message) =>
      publish(message.roomId, {
        type: 'messageAdded',
        message: { id: message.id, roomId: message.roomId, senderId: message.senderId, text: message.text, createdAt: message.createdAt.toISOString() },
      }),
    memberLeft: (roomId, userId) => publish(roomId, { type: 'memberLeft', roomId, userId }),
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
    get activeSubscriptions() {
      return active;
    },
  };
}
