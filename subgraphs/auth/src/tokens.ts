import { createHash, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { newId } from '@dorandoran/service-kit';
import { ROLES, type Account } from './entities/Account.entity';
import { SIGNING_ALG, type SigningKeys } from './signingKeys';

export interface AccessTokenOptions {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** `user`, or `user admin`: the scopes the router's @requiresScopes checks. */
const scopeOf = (roles: readonly string[]): string =>
  ROLES.filter((role) => roles.includes(role))
    .map((role) => role.toLowerCase())
    .join(' ');

export type AccessTokenIssuer = (account: Account, sessionId: string) => Promise<string>;

/** Signs ES256 access tokens carrying the session id (`sid`), so one session can be revoked. */
export function createAccessTokenIssuer(options: AccessTokenOptions): AccessTokenIssuer {
  const { kid, privateKey } = options.keys.current;
  return (account, sessionId) =>
    new SignJWT({ scope: scopeOf(account.roles), sid: sessionId })
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'JWT' })
      .setSubject(account.id)
      .setJti(newId())
      .setIssuedAt()
      .setExpirationTime(`${options.ttlSeconds}s`)
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .sign(privateKey);
}

/** 256 random bits; only the hash is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export const hashRefreshToken = (token: string): string => createHash('sha256').update(token).digest('hex');
