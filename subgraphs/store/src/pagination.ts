import { badCursor, decodeCursor, encodeCursor, isUuid } from '@dorandoran/service-kit';

/** Products and orders are listed newest first by id (UUID v7): the cursor is the id. */
export const encodeIdCursor = (tag: 'product' | 'order', id: string) => encodeCursor(tag, id);

export function decodeIdCursor(tag: 'product' | 'order', cursor: string, field = 'after'): string {
  const id = decodeCursor(cursor, tag, field);
  if (!isUuid(id)) throw badCursor(cursor, field);
  return id;
}

/** One page of a list ordered by id, newest first. */
export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}
