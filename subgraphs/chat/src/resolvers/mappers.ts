import type { Message } from '../entities/Message.entity';

/** A user as chat knows one: only the id; users resolves the rest through the router. */
export interface UserRef {
  id: string;
}

/** What ChatRoom.messages hands to MessageConnection: one page, oldest to newest. */
export interface MessageConnectionParent {
  messages: Message[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}
