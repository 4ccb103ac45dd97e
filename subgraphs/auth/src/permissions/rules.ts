import { rule } from 'graphql-shield';
import { forbidden, unauthenticated } from '@dorandoran/service-kit';
import type { MutationApplyAccountStatusArgs } from '../__generated__/resolvers-types';
import type { Context } from '../context';

export const isAuthenticated = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) =>
  viewer ? true : unauthenticated(),
);

export const isAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) => {
  if (!viewer) return unauthenticated();
  return viewer.scopes.has('admin') ? true : forbidden('Only administrators can do this.');
});

/**
 * Another service (router secret; the field is @inaccessible, so the router never sends it),
 * an administrator, or the user deleting their own account.
 */
export const canApplyAccountStatus = rule({ cache: 'strict' })(
  (_parent, { userId, status }: MutationApplyAccountStatusArgs, { viewer, trusted }: Context) => {
    if (trusted || viewer?.scopes.has('admin')) return true;
    if (!viewer) return unauthenticated();
    if (viewer.userId === userId && status === 'DELETED') return true;
    return forbidden('Only administrators, or the user deleting their own account, can change an account status.');
  },
);
