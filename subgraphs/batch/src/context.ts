import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestIdentity, Viewer } from '@dorandoran/service-kit';
import type { JobEngine } from './jobs/engine';
import { createLoaders, type Loaders } from './loaders';

/** What the resolvers use besides the database; made once per server. */
export interface BatchServices {
  engine: JobEngine;
  timeZone: string;
}

export interface Context {
  /** A fork of the ORM's EntityManager for this request only. */
  em: EntityManager;
  viewer: Viewer | null;
  /** The request carries the router secret (router or another service). */
  trusted: boolean;
  loaders: Loaders;
  batch: BatchServices;
}

export function createContext(em: EntityManager, batch: BatchServices, identity: RequestIdentity): Context {
  const fork = em.fork();
  return { em: fork, viewer: identity.viewer, trusted: identity.trusted, loaders: createLoaders(fork), batch };
}
