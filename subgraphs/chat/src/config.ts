import { readCommonConfig, readEnv, type CommonConfig, type Environment } from '@dorandoran/service-kit';

export interface ChatConfig extends CommonConfig {
  port: number;
  /** CHAT_DATABASE_URL names this service's database exactly; DATABASE_URL names a server. */
  exactDatabase: boolean;
  /** The users subgraph, asked whether new members exist and are active. */
  usersUrl: string;
  usersTimeoutMs: number;
}

export function loadChatConfig(env: Environment): ChatConfig {
  const read = readEnv(env);
  const common = readCommonConfig(env);
  const ownDatabase = read.url('CHAT_DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  return Object.freeze({
    ...common,
    databaseUrl: ownDatabase ?? common.databaseUrl,
    exactDatabase: ownDatabase !== undefined,
    port: read.int('CHAT_PORT', 8083, { min: 0, max: 65535 }),
    usersUrl: read.url('USERS_URL', 'http://localhost:8082/graphql')!,
    usersTimeoutMs: read.int('CHAT_USERS_TIMEOUT_MS', 2000, { min: 100, max: 60000 }),
  });
}
