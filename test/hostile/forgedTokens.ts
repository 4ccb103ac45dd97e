import { createHmac, createPublicKey, generateKeyPairSync, randomUUID, sign as signBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { freePort } from '@dorandoran/test-support/infra';

/**
 * Tokens an attacker forges, and one key the router trusts beside auth's: the JWKS the stack is
 * pointed at serves auth's keys plus a `trusted` one, so a token signed with it passes the
 * signature check and only its claims (exp, aud, iss, …) can get it refused. JWTs are assembled
 * by hand, so that any header (alg none, jku, crit) can be written.
 */

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JsonWebKey;
}

export function newSigningKey(): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

export interface TrustedJwks {
  url: string;
  /** Where auth's own JWKS is, once the stack has started (until then this JWKS answers 503). */
  setUpstream(url: string): void;
  close(): Promise<void>;
}

export async function serveTrustedJwks(trusted: SigningKey): Promise<TrustedJwks> {
  let upstream: string | undefined;
  const server: Server = createServer(async (_req, res) => {
    if (!upstream) {
      res.writeHead(503).end();
      return;
    }
    const { keys } = (await (await fetch(upstream)).json()) as { keys: JsonWebKey[] };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [...keys, trusted.jwk] }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    setUpstream: (url) => void (upstream = url),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The claims a real access token carries for `sub`, valid for 15 minutes. */
export function claimsFor(sub: string | undefined, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub, scope: 'user admin', sid: randomUUID(), jti: randomUUID(), iss: 'dorandoran-auth', aud: 'dorandoran', iat: now - 60, exp: now + 900, ...overrides };
}

/** A JWT with any header and payload; the signature as given (none by default). */
export const unsigned = (header: Record<string, unknown>, payload: Record<string, unknown>, signature = '') => `${base64url(header)}.${base64url(payload)}.${signature}`;

/** ES256 over any header and payload. */
export function es256(key: SigningKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const signingInput = `${base64url({ alg: 'ES256', typ: 'JWT', kid: key.kid, ...header })}.${base64url(payload)}`;
  const signature = signBytes('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** HS256 keyed with a public key's text: the algorithm-confusion attack on verifiers that take `alg` from the token. */
export function hs256(secret: string, payload: Record<string, unknown>, header: Record<string, unknown>): string {
  const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT', ...header })}.${base64url(payload)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

export const pemOf = (jwk: JsonWebKey) => String(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
