import type { UserResolvers } from '../__generated__/resolvers-types';

export const User: UserResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.userById.load(id),
  avatarUrl: (user) => user.avatarUrl ?? null,
  bio: (user) => user.bio ?? null,
};
