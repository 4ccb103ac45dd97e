import { rule } from 'graphql-shield';
import { forbidden, unauthenticated } from '@dorandoran/service-kit';
import type { Context } from '../context';

export const isAuthenticated = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) =>
  viewer ? true : unauthenticated(),
);

export const isAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) => {
  if (!viewer) return unauthenticated();
  return viewer.scopes.has('admin') ? true : forbidden('Only administrators can do this.');
});

/**
 * Another service (router secret): applyAccountStatus is @inaccessible, so the router never plans it, and
 * users calls it after updating the profile. A direct call by anyone else would leave the two out of sync.
 */
export const isTrustedService = rule({ cache: 'contextual' })((_parent, _args, { trusted }: Context) =>
  trusted ? true : forbidden('Only other services may call this. To change an account status, use setUserStatus or deleteAccount.'),
);
