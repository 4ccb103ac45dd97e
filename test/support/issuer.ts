import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { freePort } from './infra';

/**
 * A token issuer for testing one subgraph without auth: a real ES256 key pair whose public half
 * is served as a JWKS over HTTP, the way auth serves its own.
 */
export interface TestIssuer {
  jwksUrl: string;
  sign(claims: { sub: string; scope?: string; sid?: string; expiresIn?: string | number; issuer?: string }): Promise<string>;
  close(): Promise<void>;
}

export const TEST_ISSUER = 'dorandoran-auth';
export const TEST_AUDIENCE = 'dorandoran';

export async function startTestIssuer(): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    sign: (claims) => signToken(privateKey, kid, claims),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function signToken(key: KeyLike, kid: string, claims: Parameters<TestIssuer['sign']>[0]): Promise<string> {
  return new SignJWT({ scope: claims.scope ?? 'user', sid: claims.sid ?? randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setSubject(claims.sub)
    .setJti(randomUUID())
    .setIssuedAt()
    .setIssuer(claims.issuer ?? TEST_ISSUER)
    .setAudience(TEST_AUDIENCE)
    .setExpirationTime(claims.expiresIn ?? '15m')
    .sign(key);
}
