import type { ChatRoom } from '../entities/ChatRoom.entity';
import type { Message } from '../entities/Message.entity';

/**
 * What backs a Message: the entity, or the fields a subscription event carries (so delivering an
 * event to many subscribers reads nothing from the database). `createdAt` is a string after Redis.
 */
export interface MessageParent {
  id: string;
  roomId: string;
  senderId: string;
  text: string;
  createdAt: Date | string;
  /** Set on live events (as of the sending); read from the database otherwise. */
  unreadCount?: number;
}

/** A user as chat knows one: only the id; users resolves the rest through the router. */
export interface UserRef {
  id: string;
}

/** What the room lists hand to ChatRoomConnection. */
export interface ChatRoomConnectionParent {
  rooms: ChatRoom[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** What ChatRoom.messages hands to MessageConnection: one page, oldest to newest. */
export interface MessageConnectionParent {
  messages: Message[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}
