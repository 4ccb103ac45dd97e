import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestIdentity, Viewer } from '@dorandoran/service-kit';
import type { JobEngine } from './jobs/engine';

/** What the resolvers use besides the database; made once per server. */
export interface BatchServices {
  engine: JobEngine;
  timeZone: string;
}

export interface Context {
  /** A fork of the ORM's EntityManager for this request only. */
  em: EntityManager;
  viewer: Viewer | null;
  batch: BatchServices;
}

export function createContext(em: EntityManager, batch: BatchServices, identity: RequestIdentity): Context {
  return { em: em.fork(), viewer: identity.viewer, batch };
}
