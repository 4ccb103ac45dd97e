import { badUserInput, isUuid } from '@dorandoran/service-kit';

/** Relay cursors are opaque: base64url of a tagged position, checked when they come back. */
const encode = (text: string) => Buffer.from(text).toString('base64url');

function decode(cursor: string, tag: string, field: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${tag}:`)) throw badCursor(cursor, field);
  return text.slice(tag.length + 1);
}

const badCursor = (cursor: string, field: string) =>
  badUserInput(field, `"${cursor}" is not a cursor from this list; pass an edge's cursor or one from pageInfo.`);

/** A message's place in its room: its sequence number. */
export const encodeMessageCursor = (seq: number) => encode(`message:${seq}`);

export function decodeMessageCursor(cursor: string, field = 'before'): number {
  const seq = Number(decode(cursor, 'message', field));
  if (!Number.isSafeInteger(seq) || seq < 1) throw badCursor(cursor, field);
  return seq;
}

/** A room's place in a room list: latest activity, then id. */
export interface RoomPosition {
  lastActivityAt: Date;
  id: string;
}

export const encodeRoomCursor = (room: RoomPosition) => encode(`room:${room.lastActivityAt.toISOString()}|${room.id}`);

export function decodeRoomCursor(cursor: string, field = 'after'): RoomPosition {
  const [time, id] = decode(cursor, 'room', field).split('|');
  const lastActivityAt = new Date(time);
  if (Number.isNaN(lastActivityAt.getTime()) || !id || !isUuid(id)) throw badCursor(cursor, field);
  return { lastActivityAt, id };
}

export function pageSize(value: number | null | undefined, field: string, fallback: number, max = 100): number {
  const size = value ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > max) throw badUserInput(field, `${field} must be between 0 and ${max}; got ${size}.`);
  return size;
}
