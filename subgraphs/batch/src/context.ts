import type { EntityManager } from '@mikro-orm/postgresql';
import { requestContext, type RequestContext, type RequestIdentity } from '@dorandoran/service-kit';
import type { JobEngine } from './jobs/engine';
import { createLoaders, type Loaders } from './loaders';

/** What the resolvers use besides the database; made once per server. */
export interface BatchServices {
  engine: JobEngine;
  timeZone: string;
}

export interface Context extends RequestContext<Loaders> {
  batch: BatchServices;
}

export function createContext(em: EntityManager, batch: BatchServices, identity: RequestIdentity): Context {
  return { ...requestContext(em, identity, createLoaders), batch };
}
