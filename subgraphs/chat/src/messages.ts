import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, isUuid, notFound } from '@dorandoran/service-kit';
import type { SendMessageInput } from './__generated__/resolvers-types';
import { ChatMember } from './entities/ChatMember.entity';
import { ChatRoom } from './entities/ChatRoom.entity';
import { Message } from './entities/Message.entity';
import type { ChatServices } from './context';
import { unreadBy, type MemberRead, type RoomFeed } from './roomFeed';

/**
 * What backs a Message: the entity, or the fields a subscription event carries (so delivering an
 * event to many subscribers reads nothing from the database). `createdAt` is a string after Redis.
 */
export interface MessageRecord {
  id: string;
  roomId: string;
  senderId: string;
  text: string;
  createdAt: Date | string;
  /** Set on live events (as of the sending); read from the database otherwise. */
  unreadCount?: number;
}

export const MAX_TEXT_LENGTH = 4000;
export const MAX_CLIENT_MESSAGE_ID_LENGTH = 100;

function cleanText(value: string): string {
  const text = value.trim();
  const length = [...text].length;
  if (length < 1 || length > MAX_TEXT_LENGTH) {
    throw badUserInput('text', `A message needs 1 to ${MAX_TEXT_LENGTH} characters after trimming; this one has ${length}.`);
  }
  return text;
}

function cleanClientMessageId(value: string): string {
  if (value.length < 1 || value.length > MAX_CLIENT_MESSAGE_ID_LENGTH) {
    throw badUserInput('clientMessageId', `clientMessageId must be 1 to ${MAX_CLIENT_MESSAGE_ID_LENGTH} characters, e.g. a UUID made once per message.`);
  }
  return value;
}

/**
 * Saves the message with the room's next sequence number (and its chat.message_sent event) and publishes it once committed.
 * A send with a clientMessageId the sender already used in the room returns that first message,
 * also when the retries race each other (the unique key decides, and the losers read the winner).
 */
export async function sendMessage(
  em: EntityManager,
  { feed, events }: Pick<ChatServices, 'feed' | 'events'>,
  senderId: string,
  input: SendMessageInput,
): Promise<MessageRecord> {
  const text = cleanText(input.text);
  const key = { room: input.roomId, senderId, clientMessageId: cleanClientMessageId(input.clientMessageId) };
  let sent: { message: Message; members: MemberRead[] };
  try {
    sent = await em.transactional(async (tx) => {
      const sentAt = new Date();
      // The row lock this update takes orders concurrent sends to the room until the transaction
      // ends; the members (who gets the event, who has not read it yet) come in the same statement.
      const rows = await tx.execute<{ last_seq: number; user_id: string | null; last_read_seq: number | null }[]>(
        `with room as (update chat_rooms set last_seq = last_seq + 1, last_activity_at = ?, updated_at = ? where id = ? returning id, last_seq)
         select room.last_seq, m.user_id, m.last_read_seq from room left join chat_members m on m.room_id = room.id and m.left_at is null`,
        [sentAt, sentAt, input.roomId],
      );
      if (rows.length === 0) throw notFound('ChatRoom', input.roomId);
      const created = new Message(tx.getReference(ChatRoom, input.roomId), senderId, rows[0].last_seq, text, key.clientMessageId);
      created.createdAt = sentAt;
      tx.persist(created);
      events.record(tx, 'chat.message_sent', created.id, { messageId: created.id, roomId: input.roomId, senderId });
      const members = rows.flatMap((row) => (row.user_id === null ? [] : [{ userId: row.user_id, lastReadSeq: row.last_read_seq! }]));
      return { message: created, members };
    });
  } catch (error) {
    // A retried send (same clientMessageId) meets the unique key and rolls back, sequence number
    // included: the client gets the message it sent before, which was announced then.
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    return em.fork().findOneOrFail(Message, key);
  }
  const { message, members } = sent;
  await feed.messageSent(message, members);
  // The answer's unread count is the one the event carried: nothing to read again.
  return { id: message.id, roomId: message.roomId, senderId: message.senderId, text: message.text, createdAt: message.createdAt, unreadCount: unreadBy(message, members) };
}

/** The room's current members and their read marks, as committed. */
export async function memberReads(em: EntityManager, roomId: string): Promise<MemberRead[]> {
  const members = await em.fork().find(ChatMember, { room: roomId, leftAt: null }, { fields: ['userId', 'lastReadSeq'] });
  return members.map(({ userId, lastReadSeq }) => ({ userId, lastReadSeq }));
}

/**
 * Moves the member's read mark up to the message; an older message than the mark changes nothing.
 * A mark that moved is told to every member (the reader's other devices, and senders' unread numbers).
 */
export async function markRoomRead(em: EntityManager, feed: RoomFeed, userId: string, roomId: string, messageId: string): Promise<void> {
  const message = isUuid(messageId) ? await em.findOne(Message, { id: messageId, room: roomId }) : null;
  if (!message) throw notFound('Message', messageId);
  const moved = await em.nativeUpdate(ChatMember, { room: roomId, userId, leftAt: null, lastReadSeq: { $lt: message.seq } }, { lastReadSeq: message.seq });
  if (moved) await feed.read(roomId, userId, message.id, (await memberReads(em, roomId)).map((member) => member.userId));
}
