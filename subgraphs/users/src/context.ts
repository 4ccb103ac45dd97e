import type { EntityManager } from '@mikro-orm/postgresql';
import { requestContext, type EventRecorder, type RequestContext, type RequestIdentity, type RevocationStore } from '@dorandoran/service-kit';
import { createLoaders, type Loaders } from './loaders';

/** What the resolvers use besides the database; made once per service. */
export interface UsersServices {
  /** Records account events in the same flush as the change. */
  events: EventRecorder;
  access: AccessRevocation;
}

/**
 * A suspension or deletion refuses the user's access tokens in the shared revocation store at once,
 * even while auth is unreachable; auth ends the sessions when the event reaches it.
 */
export interface AccessRevocation {
  revocations: RevocationStore;
  /** The refresh-token lifetime: no token issued before the revocation outlives it. */
  ttlSeconds: number;
}

export interface Context extends RequestContext<Loaders> {
  users: UsersServices;
}

export function createContext(em: EntityManager, users: UsersServices, identity: RequestIdentity): Context {
  return { ...requestContext(em, identity, createLoaders), users };
}
