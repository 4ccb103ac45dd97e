import { badCursor, decodeCursor, encodeCursor, isUuid } from '@dorandoran/service-kit';

/** A message's place in its room: its sequence number. */
export const encodeMessageCursor = (seq: number) => encodeCursor('message', String(seq));

export function decodeMessageCursor(cursor: string, field = 'before'): number {
  const seq = Number(decodeCursor(cursor, 'message', field));
  if (!Number.isSafeInteger(seq) || seq < 1) throw badCursor(cursor, field);
  return seq;
}

/** A room's place in a room list: latest activity, then id. */
export interface RoomPosition {
  lastActivityAt: Date;
  id: string;
}

export const encodeRoomCursor = (room: RoomPosition) => encodeCursor('room', `${room.lastActivityAt.toISOString()}|${room.id}`);

export function decodeRoomCursor(cursor: string, field = 'after'): RoomPosition {
  const [time, id] = decodeCursor(cursor, 'room', field).split('|');
  const lastActivityAt = new Date(time);
  if (Number.isNaN(lastActivityAt.getTime()) || !id || !isUuid(id)) throw badCursor(cursor, field);
  return { lastActivityAt, id };
}
