import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sendJson, type HttpRoute } from '@dorandoran/service-kit';
import { SigningKey } from './entities/SigningKey.entity';

export const SIGNING_ALG = 'ES256';

export interface SigningKeys {
  /** The key new access tokens are signed with: the newest one. */
  current: { kid: string; privateKey: KeyLike | Uint8Array };
  /** The public half of every stored key, as published at /.well-known/jwks.json. */
  publicJwks: JWK[];
  /** Verifies tokens against those keys in process: auth never fetches its own JWKS. */
  verificationKeys: JWTVerifyGetKey;
}

/**
 * Loads the signing keys from auth's database, making the first key pair when there is none.
 * An advisory lock makes instances that start together on an empty database agree on one key.
 */
export async function loadSigningKeys(em: EntityManager): Promise<SigningKeys> {
  const stored = await em.transactional(async (tx) => {
    await tx.execute(`select pg_advisory_xact_lock(hashtext('dorandoran_auth.signing_keys'))`);
    const keys = await tx.find(SigningKey, {}, { orderBy: { createdAt: 'desc', kid: 'asc' } });
    if (keys.length > 0) return keys;
    const key = await createSigningKey();
    tx.persist(key);
    return [key];
  });
  return {
    current: { kid: stored[0].kid, privateKey: await importJWK(stored[0].privateJwk, SIGNING_ALG) },
    publicJwks: stored.map((key) => key.publicJwk),
    verificationKeys: createLocalJWKSet({ keys: stored.map((key) => key.publicJwk) }),
  };
}

async function createSigningKey(): Promise<SigningKey> {
  const pair = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return new SigningKey(
    kid,
    SIGNING_ALG,
    { ...(await exportJWK(pair.privateKey)), kid, alg: SIGNING_ALG },
    { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' },
  );
}

/** GET /.well-known/jwks.json: public keys only, cacheable for five minutes. */
export function jwksRoute(keys: SigningKeys): HttpRoute {
  const body = { keys: keys.publicJwks };
  return {
    method: 'GET',
    path: '/.well-known/jwks.json',
    handle: (_req, res) => sendJson(res, 200, body, { 'cache-control': 'public, max-age=300' }),
  };
}
