import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { GraphQLError } from 'graphql';
import type { CommonConfig } from './config';
import { isRevocationCheckUnavailable, RevocationCheckUnavailableError, type RevocationStore } from './revocations';
import { forbidden, unauthenticated } from './errors';

/** Who is calling, as proven by a verified access token. */
export interface Viewer {
  userId: string;
  scopes: ReadonlySet<string>;
  sessionId: string;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
  /** The raw `Authorization` header value, to pass on to another service. */
  authorization: string;
}

export interface TokenVerifier {
  /**
   * Anonymous (null) without a header; throws UNAUTHENTICATED (HTTP 401) for a bad, expired or revoked token,
   * and SERVICE_UNAVAILABLE (HTTP 503) when it cannot be checked: keys or revocation list unreachable
   * (RevocationCheckUnavailableError for the latter).
   */
  verify(authorization: string | undefined | null): Promise<Viewer | null>;
}

export interface TokenVerifierOptions {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  revocations: RevocationStore;
}

/**
 * The auth subgraph's public keys over HTTP, refetched only when a token names an unknown `kid`:
 * keys are kept without expiry, so verification goes on while auth is down.
 */
export function remoteKeys(jwksUrl: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: Infinity, timeoutDuration: 3_000 });
}

/** The keys could not be fetched: the token may be fine, so this is the server's problem, not the client's. */
function keysUnavailable(): GraphQLError {
  return new GraphQLError('Tokens cannot be verified right now because the auth service is unreachable. Try again shortly.', {
    extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
  });
}

const KEY_FETCH_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

export function unauthenticatedHttp(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/** Fails closed: a list that cannot be read refuses the token for now (503), never lets it through, never a 500. */
async function isRevoked(revocations: RevocationStore, viewer: Viewer): Promise<boolean> {
  try {
    return await revocations.isRevoked(viewer);
  } catch (error) {
    if (isRevocationCheckUnavailable(error)) throw error;
    throw new RevocationCheckUnavailableError(`revocation check failed: ${(error as Error).message}`);
  }
}

/**
 * Tokens whose signature and claims were verified, kept until they expire: the ES256 signature is
 * most of what checking a token costs, and a client sends the same token with every request, which
 * the router and each subgraph it reaches verify. Revocation is still checked on every use.
 */
const MAX_VERIFIED_TOKENS = 10_000;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const verified = new Map<string, JWTPayload>();

  async function claimsOf(token: string): Promise<JWTPayload> {
    const known = verified.get(token);
    if (known && known.exp! * 1000 > Date.now()) return known;
    verified.delete(token);
    const { payload } = await jwtVerify(token, options.keys, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ['ES256'],
      requiredClaims: ['sub', 'jti', 'iat', 'exp', 'sid'],
    });
    if (verified.size >= MAX_VERIFIED_TOKENS) verified.delete(verified.keys().next().value!);
    verified.set(token, payload);
    return payload;
  }

  return {
    async verify(authorization) {
      if (!authorization) return null;
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!match) throw unauthenticatedHttp('The Authorization header must be "Bearer <access token>".');
      let payload;
      try {
        payload = await claimsOf(match[1]);
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) {
          throw unauthenticatedHttp('The access token has expired. Get a new one with refreshSession.');
        }
        if (error instanceof joseErrors.JOSEError && !KEY_FETCH_FAILURES.has(error.code)) {
          throw unauthenticatedHttp('The access token is not valid. Sign in again.');
        }
        // A timeout, an unreachable or broken JWKS endpoint.
        throw keysUnavailable();
      }
      const viewer: Viewer = {
        userId: String(payload.sub),
        scopes: new Set(String(payload.scope ?? '').split(' ').filter(Boolean)),
        sessionId: String(payload.sid),
        tokenId: String(payload.jti),
        issuedAt: payload.iat!,
        expiresAt: payload.exp!,
        authorization: authorization.trim(),
      };
      if (await isRevoked(options.revocations, viewer)) {
        throw unauthenticatedHttp('The access token has been revoked (signed out or account suspended). Sign in again.');
      }
      return viewer;
    },
  };
}

/** How the router and every subgraph but auth verify tokens: auth's published keys (JWKS), the configured issuer and audience. */
export function createRemoteTokenVerifier(
  config: Pick<CommonConfig, 'jwksUrl' | 'jwtIssuer' | 'jwtAudience'>,
  revocations: RevocationStore,
): TokenVerifier {
  return createTokenVerifier({ keys: remoteKeys(config.jwksUrl), issuer: config.jwtIssuer, audience: config.jwtAudience, revocations });
}

/** What only administrators may do (the kit's graphql-shield rule isAdmin, permissions.ts). */
export function administrator(viewer: Viewer | null): true | GraphQLError {
  if (!viewer) return unauthenticated();
  return viewer.scopes.has('admin') ? true : forbidden('Only administrators can do this.');
}

/** Maintenance mutations: the batch service's account (scope service), or an administrator by hand. */
export function serviceOrAdmin(viewer: Viewer | null): true | GraphQLError {
  if (!viewer) return unauthenticated();
  return viewer.scopes.has('service') || viewer.scopes.has('admin') ? true : forbidden('Only the batch service or an administrator can do this.');
}

/** The batch service's own account in auth (role SERVICE): auth creates it, batch signs in with it. */
export const SERVICE_ACCOUNT_EMAIL = 'batch@service.dorandoran.internal';

/**
 * batch → auth: the batch service signing in to its account, straight to auth with the router
 * secret, never through the router (which sends subgraphs only the headers it sets itself). Auth
 * takes the service account's password from no one else, so that no client can spend budgets the
 * batch service needs or lock its account with wrong guesses.
 */
export const SERVICE_SIGN_IN_HEADER = 'x-service-sign-in';

/** What @authenticated means in a subgraph, as in the router: a signed-in person (scope user), which a service account is not. */
export function signedInPerson(viewer: Viewer | null): true | GraphQLError {
  if (!viewer) return unauthenticated();
  return viewer.scopes.has('user') ? true : forbidden('This needs a signed-in person; a service account may only run maintenance.');
}
