import { rule } from 'graphql-shield';
import { forbidden, unauthenticated } from '@dorandoran/service-kit';
import type { Context } from '../context';

/** Internal fields: only a caller holding the router secret (another service) may use them. */
export const isTrustedService = rule({ cache: 'contextual' })((_parent, _args, { trusted }: Context) =>
  trusted ? true : forbidden('This field is internal to DoranDoran services.'),
);

/** The user themself or an administrator. */
export const isSelfOrAdmin = rule({ cache: 'strict' })((parent: { id: string }, _args, { viewer }: Context) => {
  if (!viewer) return unauthenticated();
  return viewer.userId === parent.id || viewer.scopes.has('admin') ? true : forbidden('Only the user themself or an administrator can see this.');
});
