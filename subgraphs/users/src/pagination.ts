import { badCursor, decodeCursor as decodeTagged, encodeCursor as encodeTagged, isUuid } from '@dorandoran/service-kit';

/** A user's place in a list: their id (UUID v7, so ordering by id is ordering by time). */
export const encodeCursor = (id: string): string => encodeTagged('user', id);

export function decodeCursor(cursor: string, field = 'after'): string {
  const id = decodeTagged(cursor, 'user', field);
  if (!isUuid(id)) throw badCursor(cursor, field);
  return id;
}
