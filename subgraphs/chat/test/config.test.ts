import { loadChatConfig } from '../src/config';

describe('loadChatConfig', () => {
  test('safe local defaults', () => {
    expect(loadChatConfig({})).toMatchObject({
      port: 8083,
      usersUrl: 'http://localhost:8082/graphql',
      usersTimeoutMs: 2000,
      databaseUrl: undefined,
      exactDatabase: false,
      redisUrl: undefined,
    });
  });

  test('CHAT_DATABASE_URL names the database exactly and wins over DATABASE_URL', () => {
    const config = loadChatConfig({ DATABASE_URL: 'postgres://db:5432/postgres', CHAT_DATABASE_URL: 'postgres://db:5432/chat_here' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://db:5432/chat_here', exactDatabase: true });
    expect(loadChatConfig({ DATABASE_URL: 'postgres://db:5432/postgres' })).toMatchObject({ exactDatabase: false });
  });

  test.each([
    [{ CHAT_PORT: 'eighty' }, /CHAT_PORT/],
    [{ USERS_URL: 'users:8082' }, /USERS_URL/],
    [{ CHAT_USERS_TIMEOUT_MS: '5' }, /CHAT_USERS_TIMEOUT_MS must be at least 100/],
    [{ CHAT_DATABASE_URL: 'mysql://db/chat' }, /CHAT_DATABASE_URL/],
  ])('a bad value stops start with a message naming it (%#)', (env, message) => {
    expect(() => loadChatConfig(env)).toThrow(message);
  });
});
