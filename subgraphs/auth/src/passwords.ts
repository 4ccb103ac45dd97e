import * as argon2 from 'argon2';
import type { PasswordHashCost } from './config';

export interface PasswordHasher {
  hash(secret: string): Promise<string>;
  /** False for a wrong secret, and for no hash at all (still spending the same time, so timing tells nothing). */
  verify(hash: string | null | undefined, secret: string): Promise<boolean>;
  /** The hash was made with other cost settings and should be replaced at the next sign-in. */
  needsRehash(hash: string): boolean;
}

/** argon2id with the configured cost; passwords and reset codes both go through it. */
export function createPasswordHasher(cost: PasswordHashCost): PasswordHasher {
  const options: argon2.HashOptions = { type: argon2.argon2id, memoryCost: cost.memoryKiB, timeCost: cost.timeCost, parallelism: cost.parallelism };
  // Verified against when there is no account, so an unknown email costs as much as a wrong password.
  let dummy: Promise<string> | undefined;
  return {
    hash: (secret) => argon2.hash(secret, options),
    async verify(hash, secret) {
      if (!hash) {
        dummy ??= argon2.hash('not a password 0', options);
        await argon2.verify(await dummy, secret);
        return false;
      }
      return argon2.verify(hash, secret);
    },
    needsRehash: (hash) => argon2.needsRehash(hash, options),
  };
}
