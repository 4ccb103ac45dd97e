import { appendNextPage } from '../src/pagination';

const page = (ids: string[], hasNextPage: boolean) => ({
  __typename: 'Query' as const,
  orders: { edges: ids.map((id) => ({ node: { id } })), pageInfo: { hasNextPage, endCursor: ids.at(-1) ?? null } },
});

/** The orders query as the app sees it: the root field may be null. */
type Orders = { __typename: 'Query'; orders: ReturnType<typeof page>['orders'] | null };

describe('appendNextPage (fetchMore for "Load more")', () => {
  test("the next page's edges come after the shown ones, and its pageInfo replaces theirs", () => {
    const merged = appendNextPage('orders')(page(['o1', 'o2'], true), { fetchMoreResult: page(['o3'], false) });
    expect(merged.orders.edges.map((edge) => edge.node.id)).toEqual(['o1', 'o2', 'o3']);
    expect(merged.orders.pageInfo).toEqual({ hasNextPage: false, endCursor: 'o3' });
  });

  test('an empty next page keeps what is shown and ends the list', () => {
    const merged = appendNextPage('orders')(page(['o1'], true), { fetchMoreResult: page([], false) });
    expect(merged.orders.edges.map((edge) => edge.node.id)).toEqual(['o1']);
    expect(merged.orders.pageInfo.hasNextPage).toBe(false);
  });

  test('a next page that came back null (its subgraph down) keeps what is shown', () => {
    const shown = page(['o1'], true);
    expect(appendNextPage('orders')<Orders>(shown, { fetchMoreResult: { __typename: 'Query', orders: null } })).toBe(shown);
  });

  test('with nothing shown (the first page came back null) the next page is all there is', () => {
    const next = page(['o2'], false);
    expect(appendNextPage('orders')<Orders>({ __typename: 'Query', orders: null }, { fetchMoreResult: next })).toBe(next);
  });
});
