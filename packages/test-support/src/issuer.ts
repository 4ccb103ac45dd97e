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
  /** How often the JWKS was fetched. */
  readonly jwksRequests: number;
  sign(claims: { sub: string; scope?: string; sid?: string; expiresIn?: string | number; issuer?: string }): Promise<string>;
  /** Starts signing with a new key (new `kid`), served beside the old one. */
  rotate(): Promise<void>;
  close(): Promise<void>;
}

export const TEST_ISSUER = 'dorandoran-auth';
export const TEST_AUDIENCE = 'dorandoran';

async function newKey() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const keys = [await newKey()];
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: keys.map((key) => key.jwk) }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get jwksRequests() {
      return requests;
    },
    sign: (claims) => signToken(keys[keys.length - 1].privateKey, keys[keys.length - 1].kid, claims),
    async rotate() {
      keys.push(await newKey());
    },
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
