import { readCommonConfig, readEnv, type CommonConfig, type Environment } from '@dorandoran/service-kit';

export interface UsersConfig extends CommonConfig {
  port: number;
  /** USERS_DATABASE_URL names this service's database exactly; DATABASE_URL names a server. */
  exactDatabase: boolean;
  /** How long a user-wide token revocation is kept: the refresh-token lifetime. */
  refreshTokenTtlSeconds: number;
}

export function loadUsersConfig(env: Environment): UsersConfig {
  const read = readEnv(env);
  const common = readCommonConfig(env);
  const ownDatabase = read.url('USERS_DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  return Object.freeze({
    ...common,
    databaseUrl: ownDatabase ?? common.databaseUrl,
    exactDatabase: ownDatabase !== undefined,
    port: read.int('USERS_PORT', 8082, { min: 0, max: 65535 }),
    refreshTokenTtlSeconds: read.seconds('REFRESH_TOKEN_TTL', '7d'),
  });
}
