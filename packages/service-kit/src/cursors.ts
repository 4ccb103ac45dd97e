import { badUserInput } from './errors';

/**
 * Relay cursors are opaque to clients: base64url of a tagged position (`<tag>:<position>`), checked
 * when they come back so that a cursor from another list is refused by name.
 */
export const encodeCursor = (tag: string, position: string): string => Buffer.from(`${tag}:${position}`).toString('base64url');

/** The position inside a cursor made by encodeCursor with this tag; BAD_USER_INPUT on `field` otherwise. */
export function decodeCursor(cursor: string, tag: string, field: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${tag}:`)) throw badCursor(cursor, field);
  return text.slice(tag.length + 1);
}

export const badCursor = (cursor: string, field: string) =>
  badUserInput(field, `"${cursor}" is not a cursor from this list; pass an edge's cursor or one from pageInfo.`);

/** A page size argument (`first`/`last`), checked against 0..max. */
export function pageSize(value: number | null | undefined, field: string, fallback = 20, max = 100): number {
  const size = value ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > max) throw badUserInput(field, `${field} must be between 0 and ${max}; got ${size}.`);
  return size;
}
