import { forbidden } from '@dorandoran/service-kit';
import type { UserResolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';

/** The user themself (also in the answer to their own signUp/logIn) or an administrator. */
const isSelfOrAdmin = (userId: string, { viewer, signedInUserId }: Context) =>
  viewer?.userId === userId || signedInUserId === userId || (viewer?.scopes.has('admin') ?? false);

export const User: UserResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.accountById.load(id),
  /** Null for anyone else. */
  email: (account, _args, context) => (isSelfOrAdmin(account.id, context) ? account.email : null),
  /** Refused to anyone else: who is an administrator is not public. */
  roles: (account, _args, context) => {
    if (!isSelfOrAdmin(account.id, context)) throw forbidden("Only the user themself and administrators can see a user's roles.");
    return account.roles;
  },
  /** Null for anyone else: when someone was last active is theirs to know. */
  lastLoginAt: (account, _args, context) => (isSelfOrAdmin(account.id, context) ? (account.lastLoginAt ?? null) : null),
};
