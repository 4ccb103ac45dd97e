import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestIdentity, Viewer } from '@dorandoran/service-kit';
import type { AccountStatusNotifier } from './accountStatus';
import { createLoaders, type Loaders } from './loaders';

export interface Context {
  /** A fork of the ORM's EntityManager for this request only. */
  em: EntityManager;
  viewer: Viewer | null;
  /** The request carries the router secret (router or another service). */
  trusted: boolean;
  loaders: Loaders;
  accountStatus: AccountStatusNotifier;
}

export interface ContextDeps {
  em: EntityManager;
  accountStatus: AccountStatusNotifier;
}

export function createContext(deps: ContextDeps, identity: RequestIdentity): Context {
  const em = deps.em.fork();
  return { em, viewer: identity.viewer, trusted: identity.trusted, loaders: createLoaders(em), accountStatus: deps.accountStatus };
}
