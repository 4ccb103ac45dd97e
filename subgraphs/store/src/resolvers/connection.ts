import { encodeIdCursor } from '../pagination';
import type { Page } from '../pagination';

/** Edges and pageInfo of a page ordered by id: products and orders page the same way. */
export function connection<T extends { id: string }>(tag: 'product' | 'order') {
  const cursor = (node: T) => encodeIdCursor(tag, node.id);
  return {
    edges: ({ nodes }: Page<T>) => nodes.map((node) => ({ cursor: cursor(node), node })),
    pageInfo: ({ nodes, hasNextPage, hasPreviousPage }: Page<T>) => ({
      hasNextPage,
      hasPreviousPage,
      startCursor: nodes.length ? cursor(nodes[0]) : null,
      endCursor: nodes.length ? cursor(nodes[nodes.length - 1]) : null,
    }),
  };
}
