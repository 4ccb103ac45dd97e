import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, isUuid, pageSize, preparedQuery, type AfterCommit } from '@dorandoran/service-kit';
import type { CreateChatRoomInput } from './__generated__/resolvers-types';
import { ChatMember } from './entities/ChatMember.entity';
import { ChatRoom } from './entities/ChatRoom.entity';
import type { Loaders } from './loaders';
import { decodeRoomCursor } from './pagination';
import type { RoomFeed } from './roomFeed';
import type { UsersClient } from './usersClient';

/** One page of a room list. */
export interface RoomPage {
  rooms: ChatRoom[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export const MAX_GROUP_MEMBERS = 100;
export const MAX_TITLE_LENGTH = 100;

/**
 * Creates a room with the creator as a member. A DIRECT room is one per pair: asking again, even
 * concurrently, returns the pair's room. New members are checked with users first; nothing is
 * written when one is unknown or not active, or when users cannot answer.
 */
export async function createChatRoom(
  em: EntityManager,
  { users, feed }: { users: UsersClient; feed: RoomFeed },
  creatorId: string,
  input: CreateChatRoomInput,
): Promise<ChatRoom> {
  const others = otherMembers(creatorId, input.memberIds);
  const { room, joined } =
    input.kind === 'DIRECT' ? await openDirectRoom(em, users, creatorId, others, input.title) : await createGroupRoom(em, users, creatorId, others, input.title);
  if (joined.length) await feed.joined(room.id, joined);
  return room;
}

/** A room and who is in it now who was not before (everyone for a new room, nobody for one that was open). */
interface Opened {
  room: ChatRoom;
  joined: string[];
}

function otherMembers(creatorId: string, memberIds: readonly string[]): string[] {
  const invalid = memberIds.find((id) => !isUuid(id));
  if (invalid !== undefined) throw badUserInput('memberIds', `"${invalid}" is not a user id; memberIds takes the ids of users.`);
  return [...new Set(memberIds.map((id) => id.toLowerCase()))].filter((id) => id !== creatorId.toLowerCase());
}

async function openDirectRoom(em: EntityManager, users: UsersClient, creatorId: string, others: string[], title?: string | null): Promise<Opened> {
  if (others.length !== 1) {
    throw badUserInput('memberIds', `A DIRECT room is for you and exactly one other person; memberIds names ${others.length} others.`);
  }
  if (title?.trim()) throw badUserInput('title', 'A DIRECT room has no title; leave title out, or create a GROUP room.');
  const directKey = [creatorId, others[0]].sort().join(':');
  const existing = await em.findOne(ChatRoom, { directKey });
  if (existing) return reopen(em, existing, creatorId);
  await requireActiveUsers(users, others);
  try {
    return await insertRoom(em, new ChatRoom('DIRECT', creatorId), { directKey }, others);
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    // A concurrent request made this pair's room first: that one is the pair's room.
    return reopen(em, await em.fork().findOneOrFail(ChatRoom, { directKey }), creatorId);
  }
}

async function createGroupRoom(em: EntityManager, users: UsersClient, creatorId: string, others: string[], title?: string | null): Promise<Opened> {
  const cleanTitle = title?.trim() ?? '';
  const length = [...cleanTitle].length;
  if (length < 1 || length > MAX_TITLE_LENGTH) {
    throw badUserInput('title', `A GROUP room needs a title of 1 to ${MAX_TITLE_LENGTH} characters; this one has ${length}.`);
  }
  if (others.length < 1) throw badUserInput('memberIds', 'A GROUP room needs at least one other member in memberIds.');
  if (others.length + 1 > MAX_GROUP_MEMBERS) {
    throw badUserInput('memberIds', `A GROUP room has at most ${MAX_GROUP_MEMBERS} members including you; memberIds names ${others.length} others.`);
  }
  await requireActiveUsers(users, others);
  return insertRoom(em, new ChatRoom('GROUP', creatorId), { title: cleanTitle }, others);
}

async function requireActiveUsers(users: UsersClient, ids: string[]): Promise<void> {
  const found = await users.find(ids);
  for (const id of ids) {
    const user = found.get(id);
    if (!user) throw badUserInput('memberIds', `There is no user with id "${id}"; check memberIds.`);
    if (user.status !== 'ACTIVE') {
      throw badUserInput('memberIds', `User "${id}" is ${user.status.toLowerCase()} and cannot be added to a chat room.`);
    }
  }
}

async function insertRoom(em: EntityManager, room: ChatRoom, fields: Partial<Pick<ChatRoom, 'title' | 'directKey'>>, others: string[]): Promise<Opened> {
  Object.assign(room, fields);
  const members = [room.createdBy, ...others];
  await em.transactional(async (tx) => {
    tx.persist(room);
    for (const userId of members) tx.persist(new ChatMember(room, userId));
  });
  return { room, joined: members };
}

/** The one who left a DIRECT room comes back to it with history and read mark; nobody else is re-added. */
async function reopen(em: EntityManager, room: ChatRoom, userId: string): Promise<Opened> {
  const back = await em.nativeUpdate(ChatMember, { room, userId, leftAt: { $ne: null } }, { leftAt: null });
  return { room, joined: back ? [userId] : [] };
}

/**
 * Read through `em` itself: inside an event handler's transaction that sees the change just made, and
 * on embedded PGlite (one connection) a fork would wait for the transaction's connection until its timeout.
 */
const currentMemberIds = async (em: EntityManager, roomId: string): Promise<string[]> =>
  (await em.execute<{ user_id: string }[]>('select user_id from chat_members where room_id = ? and left_at is null order by created_at, id', [roomId])).map((row) => row.user_id);

/** Ends the membership (the messages stay) and ends the member's live subscriptions to the room. */
export async function leaveChatRoom(em: EntityManager, feed: RoomFeed, roomId: string, userId: string): Promise<void> {
  const left = await em.nativeUpdate(ChatMember, { room: roomId, userId, leftAt: null }, { leftAt: new Date() });
  if (left) await feed.memberLeft(roomId, userId, await currentMemberIds(em, roomId));
}

/**
 * A deleted user leaves every room (users' user.deleted event), in the event's transaction: their
 * messages stay and show the profile users keeps for a deleted account. Their live subscriptions end,
 * and the rooms' others hear of it, once that transaction has committed.
 */
export async function removeDeletedUser(em: EntityManager, feed: RoomFeed, userId: string): Promise<AfterCommit | undefined> {
  const memberships = await em.find(ChatMember, { userId, leftAt: null }, { fields: ['room'] });
  if (memberships.length === 0) return undefined;
  await em.nativeUpdate(ChatMember, { userId, leftAt: null }, { leftAt: new Date() });
  const remaining = new Map<string, string[]>();
  for (const { room } of memberships) remaining.set(room.id, await currentMemberIds(em, room.id));
  return async () => {
    for (const [roomId, memberIds] of remaining) await feed.memberLeft(roomId, userId, memberIds);
  };
}

const ROOMS_OF_MEMBER = 'select r.* from chat_rooms r join chat_members m on m.room_id = r.id and m.user_id = $1 and m.left_at is null';
const LATEST_FIRST = 'order by r.last_activity_at desc, r.id desc';

/**
 * A user's current rooms, latest activity first. Only the user themself lists them (permissions),
 * so the rooms are marked as the viewer's in the loaders and the membership rule needs no query.
 * Prepared statements: the room list is the app's most frequent read.
 */
export async function listRooms(
  em: EntityManager,
  loaders: Loaders,
  userId: string,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<RoomPage> {
  const size = pageSize(first, 'first', 20);
  const cursor = after ? decodeRoomCursor(after) : undefined;
  const rows = cursor
    ? await preparedQuery(em, `${ROOMS_OF_MEMBER} where (r.last_activity_at, r.id) < ($2::timestamptz, $3::uuid) ${LATEST_FIRST} limit $4`, [
        userId,
        cursor.lastActivityAt,
        cursor.id,
        size + 1,
      ])
    : await preparedQuery(em, `${ROOMS_OF_MEMBER} ${LATEST_FIRST} limit $2`, [userId, size + 1]);
  const rooms = rows.map((row) => em.map(ChatRoom, row));
  for (const room of rooms) loaders.isMember.prime(room.id, true);
  return { rooms: rooms.slice(0, size), hasNextPage: rooms.length > size, hasPreviousPage: Boolean(after) };
}
