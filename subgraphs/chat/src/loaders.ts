import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { batchByUuid, byKey, groupBy, isUuid, preparedQuery, uuidArray, type Viewer } from '@dorandoran/service-kit';
import { ChatRoom } from './entities/ChatRoom.entity';
import { Message } from './entities/Message.entity';

/** One page of a room's messages: the newest `last` before `beforeSeq` (all when null). */
export interface MessagePageKey {
  roomId: string;
  last: number;
  beforeSeq: number | null;
}

export interface Loaders {
  roomById: DataLoader<string, ChatRoom | null>;
  messageById: DataLoader<string, Message | null>;
  /** Current members' user ids, in the order they joined. */
  memberIdsByRoomId: DataLoader<string, string[]>;
  lastMessageByRoomId: DataLoader<string, Message | null>;
  /** Whether the viewer is a current member (false for anonymous callers). */
  isMember: DataLoader<string, boolean>;
  /** Messages others sent after the viewer's read mark. */
  unreadCountByRoomId: DataLoader<string, number>;
  /** Current members other than the sender whose read mark is before the message. */
  unreadCountByMessageId: DataLoader<string, number>;
  /** Up to `last + 1` messages, newest first (the extra one tells whether there are more). */
  messagePage: DataLoader<MessagePageKey, Message[], string>;
}

/** seq is a PostgreSQL integer; the bound after the last (MAX_SEQ + 1) is passed as a bigint. */
const MAX_SEQ = 2 ** 31 - 1;

/**
 * Per-request loaders: a constant number of SQL statements per batch, results in key order. They
 * are the hottest reads of the room list and a room's page, so they are prepared statements:
 * MikroORM's find() (its query builder and hydration) took a fifth of chat's CPU under bench:app.
 */
export function createLoaders(em: EntityManager, viewer: Viewer | null): Loaders {
  const viewerId = viewer?.userId;
  return {
    roomById: new DataLoader(
      batchByUuid(async (ids) => {
        const rows = await preparedQuery(em, 'select * from chat_rooms where id = any($1::uuid[])', [uuidArray(ids)]);
        return byKey(rows.map((row) => em.map(ChatRoom, row)), (room) => room.id);
      }, () => null),
    ),

    messageById: new DataLoader(
      batchByUuid(async (ids) => {
        const rows = await preparedQuery(em, 'select * from chat_messages where id = any($1::uuid[])', [uuidArray(ids)]);
        return byKey(rows.map((row) => em.map(Message, row)), (message) => message.id);
      }, () => null),
    ),

    memberIdsByRoomId: new DataLoader(
      batchByUuid(async (ids) => {
        const rows = await preparedQuery<{ room_id: string; user_id: string }>(
          em,
          'select room_id, user_id from chat_members where room_id = any($1::uuid[]) and left_at is null order by created_at, id',
          [uuidArray(ids)],
        );
        const grouped = groupBy(rows, (row) => row.room_id);
        return new Map([...grouped].map(([roomId, list]) => [roomId, list.map((row) => row.user_id)]));
      }, () => []),
    ),

    lastMessageByRoomId: new DataLoader(
      batchByUuid(async (ids) => {
        const rows = await preparedQuery(
          em,
          'select m.* from chat_rooms r join chat_messages m on m.room_id = r.id and m.seq = r.last_seq where r.id = any($1::uuid[])',
          [uuidArray(ids)],
        );
        return byKey(rows.map((row) => em.map(Message, row)), (message) => message.roomId);
      }, () => null),
    ),

    isMember: new DataLoader(
      batchByUuid(async (ids) => {
        if (!viewerId) return new Map();
        const rows = await preparedQuery<{ room_id: string }>(
          em,
          'select room_id from chat_members where room_id = any($1::uuid[]) and user_id = $2 and left_at is null',
          [uuidArray(ids), viewerId],
        );
        return new Map(rows.map((row) => [row.room_id, true]));
      }, () => false),
    ),

    unreadCountByRoomId: new DataLoader(
      batchByUuid(async (ids) => {
        if (!viewerId) return new Map();
        const rows = await preparedQuery<{ room_id: string; unread: number }>(
          em,
          // From the viewer's memberships: each room's count reads only the messages after its read mark.
          `select cm.room_id, (
             select count(*)::int from chat_messages m where m.room_id = cm.room_id and m.seq > cm.last_read_seq and m.sender_id <> $1
           ) as unread
           from chat_members cm where cm.user_id = $1 and cm.room_id = any($2::uuid[]) and cm.left_at is null`,
          [viewerId, uuidArray(ids)],
        );
        return new Map(rows.map((row) => [row.room_id, row.unread]));
      }, () => 0),
    ),

    unreadCountByMessageId: new DataLoader(
      batchByUuid(async (ids) => {
        const rows = await preparedQuery<{ id: string; unread: number }>(
          em,
          // Each message's room members through the (room_id, user_id) index: a join here hashed every member of every room.
          `select m.id, (
             select count(*)::int from chat_members cm
             where cm.room_id = m.room_id and cm.left_at is null and cm.user_id <> m.sender_id and cm.last_read_seq < m.seq
           ) as unread
           from chat_messages m where m.id = any($1::uuid[])`,
          [uuidArray(ids)],
        );
        return new Map(rows.map((row) => [row.id, row.unread]));
      }, () => 0),
    ),

    messagePage: new DataLoader(
      async (keys) => {
        // Keys asking for the same page shape share one statement: one per shape, not per room.
        const pages = new Map<string, Message[]>();
        for (const group of groupBy([...keys], (key) => `${key.last}:${key.beforeSeq}`).values()) {
          const { last, beforeSeq } = group[0];
          const ids = [...new Set(group.map((key) => key.roomId).filter(isUuid))];
          if (!ids.length) continue;
          const rows = await preparedQuery(
            em,
            `select m.* from unnest($1::uuid[]) as r(id) cross join lateral (
               select * from chat_messages where room_id = r.id and seq < $2::bigint order by seq desc limit $3
             ) m order by m.room_id, m.seq desc`,
            [uuidArray(ids), beforeSeq ?? MAX_SEQ + 1, last + 1],
          );
          for (const [roomId, list] of groupBy(rows.map((row) => em.map(Message, row)), (message) => message.roomId)) {
            pages.set(`${roomId}:${last}:${beforeSeq}`, list);
          }
        }
        return keys.map((key) => pages.get(pageKey(key)) ?? []);
      },
      { cacheKeyFn: (key) => pageKey(key) },
    ),
  };
}

const pageKey = (key: MessagePageKey) => `${key.roomId}:${key.last}:${key.beforeSeq}`;
