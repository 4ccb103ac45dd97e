/** A forward connection as the app's queries ask for it. */
export interface Connection {
  edges: readonly unknown[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

/**
 * fetchMore's updateQuery for the forward connection at `field`: the edges shown so far, then the
 * next page's, with the next page's pageInfo. Root fields are nullable (a subgraph that is down
 * answers null): a page that did not come adds nothing, and with nothing shown it is all there is.
 */
export const appendNextPage =
  <K extends string>(field: K) =>
  <T extends Partial<Record<K, Connection | null>>>(shown: T, { fetchMoreResult }: { fetchMoreResult: T }): T => {
    const before = shown[field];
    const next = fetchMoreResult[field];
    if (!next) return shown;
    if (!before) return fetchMoreResult;
    return { ...fetchMoreResult, [field]: { ...next, edges: [...before.edges, ...next.edges] } };
  };
