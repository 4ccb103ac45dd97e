/** A forward connection as the app's queries ask for it. */
export interface Connection {
  edges: readonly unknown[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

/**
 * fetchMore's updateQuery for the forward connection at `field`: the edges shown so far, then the
 * next page's, with the next page's pageInfo.
 */
export const appendNextPage =
  <K extends string>(field: K) =>
  <T extends Record<K, Connection>>(shown: T, { fetchMoreResult }: { fetchMoreResult: T }): T => ({
    ...fetchMoreResult,
    [field]: { ...fetchMoreResult[field], edges: [...shown[field].edges, ...fetchMoreResult[field].edges] },
  });
