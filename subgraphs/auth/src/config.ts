import { readCommonConfig, readEnv, type CommonConfig, type Environment } from '@dorandoran/service-kit';

export interface PasswordHashCost {
  /** argon2id memory in KiB. @default 19456 (19 MiB, the OWASP minimum for argon2id) */
  memoryKiB: number;
  /** argon2id passes. @default 2 */
  timeCost: number;
  /** argon2id lanes. @default 1 */
  parallelism: number;
}

export interface AuthConfig extends CommonConfig {
  port: number;
  /** AUTH_DATABASE_URL names this service's database exactly; DATABASE_URL names a server. */
  exactDatabase: boolean;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** The users subgraph, which signUp asks to create the new profile. */
  usersUrl: string;
  usersTimeoutMs: number;
  passwordHash: PasswordHashCost;
  /** logIn is refused for `windowSeconds` after `attempts` failures within `windowSeconds`. */
  loginLockout: { attempts: number; windowSeconds: number };
  resetCodeTtlSeconds: number;
}

export function loadAuthConfig(env: Environment): AuthConfig {
  const read = readEnv(env);
  const common = readCommonConfig(env);
  const ownDatabase = read.url('AUTH_DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  return Object.freeze({
    ...common,
    databaseUrl: ownDatabase ?? common.databaseUrl,
    exactDatabase: ownDatabase !== undefined,
    port: read.int('AUTH_PORT', 8081, { min: 0, max: 65535 }),
    accessTokenTtlSeconds: read.seconds('ACCESS_TOKEN_TTL', '15m'),
    refreshTokenTtlSeconds: read.seconds('REFRESH_TOKEN_TTL', '7d'),
    usersUrl: read.url('USERS_URL', 'http://localhost:8082/graphql')!,
    usersTimeoutMs: read.int('USERS_TIMEOUT_MS', 3000, { min: 100, max: 60000 }),
    passwordHash: Object.freeze({
      memoryKiB: read.int('PASSWORD_HASH_MEMORY_KIB', 19456, { min: 1024, max: 4 * 1024 * 1024 }),
      timeCost: read.int('PASSWORD_HASH_TIME_COST', 2, { min: 1, max: 20 }),
      parallelism: read.int('PASSWORD_HASH_PARALLELISM', 1, { min: 1, max: 16 }),
    }),
    loginLockout: Object.freeze({
      attempts: read.int('LOGIN_LOCKOUT_ATTEMPTS', 5, { min: 1, max: 1000 }),
      windowSeconds: read.seconds('LOGIN_LOCKOUT_WINDOW', '15m'),
    }),
    resetCodeTtlSeconds: read.seconds('RESET_CODE_TTL', '10m'),
  });
}
