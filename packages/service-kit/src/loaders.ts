import { isUuid } from './entities';

/**
 * A DataLoader batch function over UUID keys: `load` gets the distinct keys that are UUIDs (any
 * other key cannot match, and would make PostgreSQL reject the whole batch) and answers a map;
 * keys it has no answer for get `missing()` (a fresh value each, so lists are not shared).
 */
export function batchByUuid<V>(load: (ids: string[]) => Promise<Map<string, V>>, missing: () => V) {
  return async (keys: readonly string[]): Promise<V[]> => {
    const valid = [...new Set(keys.filter(isUuid))];
    const found = valid.length ? await load(valid) : new Map<string, V>();
    return keys.map((key) => (found.has(key) ? found.get(key)! : missing()));
  };
}

export const byKey = <T, K>(items: readonly T[], key: (item: T) => K): Map<K, T> => new Map(items.map((item) => [key(item), item]));

/** Items by key, each group in the items' order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/** A PostgreSQL array literal of ids, for `= any(?::uuid[])`; only UUIDs (batchByUuid's keys) get this far. */
export const uuidArray = (ids: readonly string[]): string => `{${ids.join(',')}}`;
