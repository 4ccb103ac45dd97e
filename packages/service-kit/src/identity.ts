import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { GraphQLError } from 'graphql';
import type { RevocationStore } from './revocations';

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
  /** Anonymous (null) without a header; throws UNAUTHENTICATED (HTTP 401) for a bad, expired or revoked token. */
  verify(authorization: string | undefined | null): Promise<Viewer | null>;
}

export interface TokenVerifierOptions {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  revocations: RevocationStore;
}

/** The auth subgraph's public keys over HTTP, cached, refetched when a token names an unknown `kid`. */
export function remoteKeys(jwksUrl: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 3_000 });
}

export function unauthenticatedHttp(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  return {
    async verify(authorization) {
      if (!authorization) return null;
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!match) throw unauthenticatedHttp('The Authorization header must be "Bearer <access token>".');
      let payload;
      try {
        ({ payload } = await jwtVerify(match[1], options.keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['ES256'],
          requiredClaims: ['sub', 'jti', 'iat', 'exp', 'sid'],
        }));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) {
          throw unauthenticatedHttp('The access token has expired. Get a new one with refreshSession.');
        }
        if (error instanceof joseErrors.JOSEError) {
          throw unauthenticatedHttp('The access token is not valid. Sign in again.');
        }
        throw error;
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
      if (await options.revocations.isRevoked(viewer)) {
        throw unauthenticatedHttp('The access token has been revoked (signed out or account suspended). Sign in again.');
      }
      return viewer;
    },
  };
}
