import { rule } from 'graphql-shield';
import { forbidden, serviceOrAdmin, signedInPerson, unauthenticated } from '@dorandoran/service-kit';
import type { Context } from '../context';

export const isAuthenticated = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) => signedInPerson(viewer));

export const isAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) => {
  if (!viewer) return unauthenticated();
  return viewer.scopes.has('admin') ? true : forbidden('Only administrators can do this.');
});

export const isServiceOrAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) => serviceOrAdmin(viewer));
