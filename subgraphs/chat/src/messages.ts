import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, isUuid, notFound, preparedQuery } from '@dorandoran/service-kit';
import type { SendMessageInput } from './__generated__/resolvers-types';
import { ChatMember } from './entities/ChatMember.entity';
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
 * A UUID v7 made in the statement once the room's row is locked: the millisecond, then the sequence
 * number in the version's 12 counter bits and the next 19 (RFC 9562's fixed-length counter), then 43
 * random bits. A room's ids therefore sort like its sequence, which the web app orders confirmed
 * messages by, also when two sends meet in one millisecond.
 */
const ID_IN_SEQUENCE = `encode(
      substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
      || int2send((28672 | (room.last_seq >> 19))::smallint)
      || substring(int8send(2147483648::bigint | ((room.last_seq & 524287)::bigint << 11) | floor(random() * 2048)::bigint) from 5)
      || substring(uuid_send(gen_random_uuid()) from 13), 'hex')::uuid`;

/**
 * One statement sends a message: it takes the room's next sequence number (the row lock this takes
 * orders concurrent sends to the room), inserts the message and its chat.message_sent event, and reads
 * the members (who gets the event, who has not read it yet). As a single statement it commits on its
 * own and holds the room's lock only while PostgreSQL runs it, not across round trips to this process:
 * a burst of sends to one room waits for the database alone. The event's payload is built here, and
 * checked like every payload when batch consumes it.
 */
const SEND_MESSAGE = `with room as (
    update chat_rooms set last_seq = last_seq + 1, last_activity_at = $1::timestamptz, updated_at = $1::timestamptz
    where id = $2::uuid returning id, last_seq),
  ids as materialized (select room.id as room_id, room.last_seq, ${ID_IN_SEQUENCE} as message_id, ${ID_IN_SEQUENCE} as event_id from room),
  message as (
    insert into chat_messages (id, room_id, sender_id, seq, text, client_message_id, created_at, updated_at)
    select ids.message_id, ids.room_id, $3::uuid, ids.last_seq, $4::text, $5::varchar, $1::timestamptz, $1::timestamptz from ids
    returning id),
  event as (
    insert into outbox_events (id, type, version, producer, subject, data, occurred_at)
    select ids.event_id, $6::varchar, $7::int, $8::varchar, ids.message_id::text,
      jsonb_build_object('messageId', ids.message_id, 'roomId', ids.room_id, 'senderId', $3::uuid), $1::timestamptz
    from ids join message on message.id = ids.message_id)
  select ids.message_id, ids.last_seq, m.user_id, m.last_read_seq from ids left join chat_members m on m.room_id = ids.room_id and m.left_at is null`;

/** PostgreSQL's unique_violation, and the key a retried send meets. */
const UNIQUE_VIOLATION = '23505';
const CLIENT_MESSAGE_ID_KEY = 'chat_messages_room_id_sender_id_client_message_id_unique';

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
  const clientMessageId = cleanClientMessageId(input.clientMessageId);
  const sentAt = new Date();
  const event = events.outboxType('chat.message_sent');
  let rows: { message_id: string; last_seq: number; user_id: string | null; last_read_seq: number | null }[];
  try {
    rows = await preparedQuery(em, SEND_MESSAGE, [sentAt, input.roomId, senderId, text, clientMessageId, event.type, event.version, event.producer]);
  } catch (error) {
    // A retried send (same clientMessageId) meets the unique key and the statement rolls back, sequence
    // number included: the client gets the message it sent before, which was announced then.
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code !== UNIQUE_VIOLATION || constraint !== CLIENT_MESSAGE_ID_KEY) throw error;
    return em.fork().findOneOrFail(Message, { room: input.roomId, senderId, clientMessageId });
  }
  if (rows.length === 0) throw notFound('ChatRoom', input.roomId);
  events.written(em);
  const members = rows.flatMap((row) => (row.user_id === null ? [] : [{ userId: row.user_id, lastReadSeq: row.last_read_seq! }]));
  const message = { id: rows[0].message_id, roomId: input.roomId, senderId, text, seq: rows[0].last_seq, createdAt: sentAt };
  await feed.messageSent(message, members);
  // The answer's unread count is the one the event carried: nothing to read again.
  return { id: message.id, roomId: input.roomId, senderId, text, createdAt: sentAt, unreadCount: unreadBy(message, members) };
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
