import type { UserResolvers } from '../__generated__/resolvers-types';

export const User: UserResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.accountById.load(id),
  /** The user themself and administrators only; null for anyone else. */
  email: (account, _args, { viewer, signedInUserId }) => {
    const self = viewer?.userId === account.id || signedInUserId === account.id;
    return self || viewer?.scopes.has('admin') ? account.email : null;
  },
};
