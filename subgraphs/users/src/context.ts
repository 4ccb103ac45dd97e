import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventRecorder, RequestIdentity, RevocationStore, Viewer } from '@dorandoran/service-kit';
import { createLoaders, type Loaders } from './loaders';

export interface Context {
  /** A fork of the ORM's EntityManager for this request only. */
  em: EntityManager;
  viewer: Viewer | null;
  /** The request carries the router secret (router or another service). */
  trusted: boolean;
  loaders: Loaders;
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

export interface ContextDeps {
  em: EntityManager;
  events: EventRecorder;
  access: AccessRevocation;
}

export function createContext(deps: ContextDeps, identity: RequestIdentity): Context {
  const em = deps.em.fork();
  return { em, viewer: identity.viewer, trusted: identity.trusted, loaders: createLoaders(em), events: deps.events, access: deps.access };
}
