import { ConfigError, readCommonConfig, readEnv, type CommonConfig, type EnvReader, type Environment } from '@dorandoran/service-kit';

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
  /** How long a used refresh token may come again, its successor unused, without ending the session (an answer lost on its way). */
  refreshReuseGraceSeconds: number;
  /** The users subgraph, which signUp asks to create the new profile. */
  usersUrl: string;
  usersTimeoutMs: number;
  passwordHash: PasswordHashCost;
  /** logIn and resetPassword are refused for `windowSeconds` after `attempts` failures within `windowSeconds`. */
  loginLockout: { attempts: number; windowSeconds: number };
  resetCodeTtlSeconds: number;
  mail: MailSettings;
  /** The batch service's account password; generated locally, and without it in production there is no such account. */
  serviceAccountPassword?: string;
}

/** How reset codes reach users: `log` writes each mail to the log (the local outbox), `smtp` sends it. */
export type MailSettings = { from: string } & ({ transport: 'log' } | { transport: 'smtp'; smtpUrl: string });

export function loadAuthConfig(env: Environment): AuthConfig {
  const read = readEnv(env);
  const common = readCommonConfig(env);
  const ownDatabase = read.url('AUTH_DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  const usersTimeoutMs = read.int('USERS_TIMEOUT_MS', 3000, { min: 100, max: 60000 });
  // signUp asks users for the profile inside the account's transaction, which the database ends once it sits idle that long.
  if (usersTimeoutMs >= common.databaseTimeoutMs) {
    throw new ConfigError('USERS_TIMEOUT_MS', `must be below DATABASE_TIMEOUT_MS (${common.databaseTimeoutMs}): signUp waits for users inside a transaction the database ends after DATABASE_TIMEOUT_MS idle; got ${usersTimeoutMs}`);
  }
  return Object.freeze({
    ...common,
    databaseUrl: ownDatabase ?? common.databaseUrl,
    exactDatabase: ownDatabase !== undefined,
    port: read.int('AUTH_PORT', 8081, { min: 0, max: 65535 }),
    accessTokenTtlSeconds: read.seconds('ACCESS_TOKEN_TTL', '15m'),
    refreshTokenTtlSeconds: read.seconds('REFRESH_TOKEN_TTL', '7d'),
    refreshReuseGraceSeconds: read.seconds('REFRESH_TOKEN_REUSE_GRACE', '30s'),
    usersUrl: read.url('USERS_URL', 'http://localhost:8082/graphql')!,
    usersTimeoutMs,
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
    mail: Object.freeze(readMailSettings(read, common.mode)),
    serviceAccountPassword: read.optional('SERVICE_ACCOUNT_PASSWORD'),
  });
}

function readMailSettings(read: EnvReader, mode: CommonConfig['mode']): MailSettings {
  // Codes in a production log are readable by whoever reads the log, so production has to choose.
  if (mode === 'production' && !read.optional('MAIL_TRANSPORT')) {
    throw new ConfigError(
      'MAIL_TRANSPORT',
      'must be set in production: MAIL_TRANSPORT=smtp with SMTP_URL=smtps://user:password@host:465 to mail reset codes, or MAIL_TRANSPORT=log to accept codes in the log',
    );
  }
  const from = read.string('MAIL_FROM', 'DoranDoran <no-reply@localhost>');
  if (read.oneOf('MAIL_TRANSPORT', ['log', 'smtp'] as const, 'log') === 'log') return { transport: 'log', from };
  const smtpUrl = read.url('SMTP_URL', undefined, ['smtp:', 'smtps:']);
  if (!smtpUrl) throw new ConfigError('SMTP_URL', 'must be set when MAIL_TRANSPORT=smtp, e.g. smtps://user:password@smtp.example.com:465');
  return { transport: 'smtp', smtpUrl, from };
}
