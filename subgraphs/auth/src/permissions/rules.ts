import { rule } from 'graphql-shield';
import { administrator, serviceOrAdmin, signedInPerson } from '@dorandoran/service-kit';
import type { Context } from '../context';

export const isAuthenticated = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) => signedInPerson(viewer));

export const isAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) => administrator(viewer));

export const isServiceOrAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) => serviceOrAdmin(viewer));
