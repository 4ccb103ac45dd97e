import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { JWK } from 'jose';

/** A key pair that signs access tokens. Kept in the database so every instance and restart signs with the same key. */
@Entity({ tableName: 'signing_keys' })
export class SigningKey {
  /** The RFC 7638 thumbprint of the public key. */
  @PrimaryKey({ type: 'string', length: 64 })
  kid: string;

  @Property({ type: 'string', length: 16 })
  alg: string;

  @Property({ type: 'json', hidden: true })
  privateJwk: JWK;

  @Property({ type: 'json' })
  publicJwk: JWK;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  constructor(kid: string, alg: string, privateJwk: JWK, publicJwk: JWK) {
    this.kid = kid;
    this.alg = alg;
    this.privateJwk = privateJwk;
    this.publicJwk = publicJwk;
  }
}
