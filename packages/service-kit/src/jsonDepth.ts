/**
 * How deep a request's JSON may nest. GraphQL input never needs more than a few dozen levels; a
 * body nested far deeper costs the recursive steps after parsing (variable coercion, printing,
 * hashing) a stack overflow each, seconds of CPU for 200 KB. Refused right after JSON.parse.
 */
export const MAX_JSON_DEPTH = 128;

/** The nesting depth of a parsed JSON value, counted without recursion; stops once past `limit`. */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** The message a client reads when its JSON nests too deep; undefined when it does not. */
export function jsonTooDeep(value: unknown, what: string): string | undefined {
  if (jsonDepth(value) <= MAX_JSON_DEPTH) return undefined;
  return `${what} nests objects and lists more than ${MAX_JSON_DEPTH} levels deep, the limit; send flatter input.`;
}
