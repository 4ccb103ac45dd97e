import { loadAuthConfig } from '../src/config';

describe('loadAuthConfig', () => {
  test('has safe local defaults', () => {
    const config = loadAuthConfig({});
    expect(config).toMatchObject({
      port: 8081,
      databaseUrl: undefined,
      exactDatabase: false,
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 7 * 86400,
      refreshReuseGraceSeconds: 30,
      usersUrl: 'http://localhost:8082/graphql',
      usersTimeoutMs: 3000,
      passwordHash: { memoryKiB: 19456, timeCost: 2, parallelism: 1 },
      loginLockout: { attempts: 5, windowSeconds: 900 },
      resetCodeTtlSeconds: 600,
      mail: { transport: 'log', from: 'DoranDoran <no-reply@localhost>' },
      jwtIssuer: 'dorandoran-auth',
      jwtAudience: 'dorandoran',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.passwordHash)).toBe(true);
    expect(Object.isFrozen(config.mail)).toBe(true);
  });

  test('AUTH_DATABASE_URL names the database exactly and wins over DATABASE_URL', () => {
    const server = loadAuthConfig({ DATABASE_URL: 'postgresql://pg:5432/postgres' });
    expect(server).toMatchObject({ databaseUrl: 'postgresql://pg:5432/postgres', exactDatabase: false });
    const own = loadAuthConfig({ DATABASE_URL: 'postgresql://pg:5432/postgres', AUTH_DATABASE_URL: 'postgresql://pg:5432/auth' });
    expect(own).toMatchObject({ databaseUrl: 'postgresql://pg:5432/auth', exactDatabase: true });
  });

  test('reads durations and costs', () => {
    const config = loadAuthConfig({ ACCESS_TOKEN_TTL: '5m', REFRESH_TOKEN_TTL: '1d', REFRESH_TOKEN_REUSE_GRACE: '10', LOGIN_LOCKOUT_WINDOW: '30', PASSWORD_HASH_MEMORY_KIB: '1024' });
    expect(config).toMatchObject({ accessTokenTtlSeconds: 300, refreshTokenTtlSeconds: 86400, refreshReuseGraceSeconds: 10, loginLockout: { windowSeconds: 30 } });
    expect(config.passwordHash.memoryKiB).toBe(1024);
  });

  test('MAIL_TRANSPORT=smtp mails through SMTP_URL from MAIL_FROM', () => {
    const env = { MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtps://mailer:secret@smtp.example.com:465', MAIL_FROM: 'Doran <reset@example.com>' };
    expect(loadAuthConfig(env).mail).toEqual({ transport: 'smtp', smtpUrl: env.SMTP_URL, from: 'Doran <reset@example.com>' });
  });

  test('production must choose MAIL_TRANSPORT, so reset codes reach a log only on purpose', () => {
    expect(() => loadAuthConfig({ NODE_ENV: 'production' })).toThrow(
      'Invalid configuration: MAIL_TRANSPORT must be set in production: MAIL_TRANSPORT=smtp with SMTP_URL=smtps://user:password@host:465 to mail reset codes, or MAIL_TRANSPORT=log to accept codes in the log',
    );
    expect(loadAuthConfig({ NODE_ENV: 'production', MAIL_TRANSPORT: 'log' }).mail.transport).toBe('log');
    expect(loadAuthConfig({ NODE_ENV: 'production', MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtp://mailer:secret@relay:587' }).mail.transport).toBe('smtp');
  });

  test("USERS_TIMEOUT_MS must stay below DATABASE_TIMEOUT_MS: signUp's transaction waits for users, and the database ends one idle that long", () => {
    expect(() => loadAuthConfig({ USERS_TIMEOUT_MS: '5000' })).toThrow(
      'Invalid configuration: USERS_TIMEOUT_MS must be below DATABASE_TIMEOUT_MS (5000): signUp waits for users inside a transaction the database ends after DATABASE_TIMEOUT_MS idle; got 5000',
    );
    expect(loadAuthConfig({ USERS_TIMEOUT_MS: '5000', DATABASE_TIMEOUT_MS: '8000' }).usersTimeoutMs).toBe(5000);
  });

  test.each([
    ['AUTH_PORT', 'eighty', /AUTH_PORT must be a whole number/],
    ['ACCESS_TOKEN_TTL', 'soon', /ACCESS_TOKEN_TTL must be a positive duration/],
    ['PASSWORD_HASH_MEMORY_KIB', '64', /PASSWORD_HASH_MEMORY_KIB must be at least 1024/],
    ['USERS_URL', 'users:8082', /USERS_URL must use http: or https:/],
    ['AUTH_DATABASE_URL', 'mysql://db/auth', /AUTH_DATABASE_URL must use postgres: or postgresql:/],
    ['MAIL_TRANSPORT', 'sendmail', /MAIL_TRANSPORT must be one of log, smtp/],
  ])('a bad %s stops the start with a message naming it', (name, value, message) => {
    expect(() => loadAuthConfig({ [name]: value })).toThrow(message);
  });

  test.each([
    [{ MAIL_TRANSPORT: 'smtp' }, /SMTP_URL must be set when MAIL_TRANSPORT=smtp/],
    [{ MAIL_TRANSPORT: 'smtp', SMTP_URL: 'https://mail.example.com' }, /SMTP_URL must use smtp: or smtps:/],
  ])('a bad SMTP setup stops the start (%j)', (env, message) => {
    expect(() => loadAuthConfig(env)).toThrow(message);
  });
});
