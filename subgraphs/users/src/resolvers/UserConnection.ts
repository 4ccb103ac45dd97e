import type { UserConnectionResolvers } from '../__generated__/resolvers-types';
import { encodeCursor } from '../pagination';

export const UserConnection: UserConnectionResolvers = {
  edges: ({ users }) => users.map((user) => ({ cursor: encodeCursor(user.id), node: user })),
  pageInfo: ({ users, hasNextPage, hasPreviousPage }) => ({
    hasNextPage,
    hasPreviousPage,
    startCursor: users.length ? encodeCursor(users[0].id) : null,
    endCursor: users.length ? encodeCursor(users[users.length - 1].id) : null,
  }),
  totalCount: ({ count }) => count(),
};
