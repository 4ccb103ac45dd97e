import { rule } from 'graphql-shield';
import { administrator, serviceOrAdmin, signedInPerson, type Viewer } from './identity';

/**
 * The graphql-shield rules more than one subgraph puts on its fields; a subgraph's own rules
 * (membership, ownership) live beside its permissions. Cached per request: they read only the viewer.
 */
type ViewerContext = { viewer: Viewer | null };

export const isAuthenticated = rule({ cache: 'contextual' })((_parent, _args, { viewer }: ViewerContext) => signedInPerson(viewer));

export const isAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: ViewerContext) => administrator(viewer));

export const isServiceOrAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: ViewerContext) => serviceOrAdmin(viewer));
