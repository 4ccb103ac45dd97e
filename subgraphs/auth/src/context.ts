import type { EntityManager } from '@mikro-orm/postgresql';
import { SERVICE_SIGN_IN_HEADER, requestContext, type RequestContext, type RequestIdentity, type RevocationStore } from '@dorandoran/service-kit';
import { createLoaders, type Loaders } from './loaders';
import type { LoginGuard } from './loginGuard';
import type { PasswordHasher } from './passwords';
import type { ResetCodes } from './resetCodes';
import { browserSessionOf, type BrowserSession } from './sessionCookie';
import type { Sessions } from './sessions';
import type { UsersClient } from './usersClient';

/** What the resolvers use besides the database; made once per server. */
export interface AuthServices {
  passwords: PasswordHasher;
  sessions: Sessions;
  loginGuard: LoginGuard;
  resetCodes: ResetCodes;
  users: UsersClient;
  revocations: RevocationStore;
  /** How long a user-wide revocation lasts: as long as a refresh token could still be used. */
  refreshTokenTtlSeconds: number;
}

export interface Context extends RequestContext<Loaders> {
  auth: AuthServices;
  /**
   * The account that signUp, logIn or refreshSession signed in during this request: the caller
   * has no token yet but is that user, so the payload may show its own email.
   */
  signedInUserId: string | null;
  /** Set when the caller is a browser whose refresh token lives in the router's cookie (sessionCookie.ts). */
  browserSession: BrowserSession | null;
  /** The batch service signing in from inside (service-kit's SERVICE_SIGN_IN_HEADER). */
  serviceSignIn: boolean;
}

export function createContext(em: EntityManager, auth: AuthServices, identity: RequestIdentity): Context {
  return {
    ...requestContext(em, identity, createLoaders),
    auth,
    signedInUserId: null,
    browserSession: browserSessionOf(identity),
    serviceSignIn: identity.trusted && identity.headers?.[SERVICE_SIGN_IN_HEADER] === '1',
  };
}
