import { badUserInput, isUuid } from '@dorandoran/service-kit';

/** Relay cursors: an opaque base64url of the row's id (UUID v7, so ordering by id is ordering by time). */
export const encodeCursor = (id: string): string => Buffer.from(`user:${id}`).toString('base64url');

export function decodeCursor(cursor: string, field = 'after'): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^user:(.+)$/.exec(text);
  if (!match || !isUuid(match[1])) throw badUserInput(field, `"${cursor}" is not a cursor from this list; pass an edge's cursor or pageInfo.endCursor.`);
  return match[1];
}

export function pageSize(first: number | null | undefined, max = 100): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 0 || size > max) throw badUserInput('first', `first must be between 0 and ${max}; got ${size}.`);
  return size;
}
