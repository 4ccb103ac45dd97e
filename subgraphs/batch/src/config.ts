import { ConfigError, readCommonConfig, readEnv, type CommonConfig, type Environment } from '@dorandoran/service-kit';
import cronParser from 'cron-parser';

export interface BatchConfig extends CommonConfig {
  port: number;
  /** BATCH_DATABASE_URL names this service's database exactly; DATABASE_URL names a server. */
  exactDatabase: boolean;
  /** Schedules and report days are read in this IANA time zone. */
  timeZone: string;
  /** Jobs call the owners' maintenance mutations through the router, signed in as the service account. */
  routerUrl: string;
  routerTimeoutMs: number;
  /** Where the service account signs in: auth itself, inside the deployment, not through the router. */
  authUrl: string;
  /** The service account's password; generated under DATA_DIR locally, required in production. */
  serviceAccountPassword: string | undefined;
  /** A failed run is retried this many times, after retryDelaySeconds doubling each time. */
  retryLimit: number;
  retryDelaySeconds: number;
  /** How often each instance checks the schedules (pg-boss's cron monitor). */
  cronCheckSeconds: number;
  /** Cron overrides by job name (BATCH_SCHEDULE_<JOB_NAME>). */
  schedules: Readonly<Record<string, string>>;
  dormantAfterDays: number;
  abandonedOrderMinutes: number;
  messageArchiveAfterDays: number;
}

export const JOB_NAMES = ['session-cleanup', 'dormant-accounts', 'abandoned-orders', 'message-archive', 'daily-report'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export function loadBatchConfig(env: Environment): BatchConfig {
  const read = readEnv(env);
  const common = readCommonConfig(env);
  const ownDatabase = read.url('BATCH_DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  const timeZone = read.optional('BATCH_TIME_ZONE') ?? 'Asia/Seoul';
  if (!isTimeZone(timeZone)) throw new ConfigError('BATCH_TIME_ZONE', `"${timeZone}" is not an IANA time zone (e.g. Asia/Seoul, UTC)`);
  const serviceAccountPassword = read.optional('SERVICE_ACCOUNT_PASSWORD');
  if (common.mode === 'production' && !serviceAccountPassword) {
    throw new ConfigError('SERVICE_ACCOUNT_PASSWORD', 'must be set in production, the same on auth and batch (the batch service signs in with it)');
  }
  const schedules: Record<string, string> = {};
  for (const name of JOB_NAMES) {
    const variable = `BATCH_SCHEDULE_${name.toUpperCase().replace(/-/g, '_')}`;
    const cron = read.optional(variable);
    if (cron === undefined) continue;
    try {
      cronParser.parseExpression(cron, { tz: timeZone });
    } catch {
      throw new ConfigError(variable, `"${cron}" is not a cron expression (minute hour day month weekday, e.g. "*/5 * * * *")`);
    }
    schedules[name] = cron;
  }
  return Object.freeze({
    ...common,
    databaseUrl: ownDatabase ?? common.databaseUrl,
    exactDatabase: ownDatabase !== undefined,
    port: read.int('BATCH_PORT', 8085, { min: 0, max: 65535 }),
    timeZone,
    routerUrl: read.url('ROUTER_URL', 'http://localhost:8080/graphql')!,
    routerTimeoutMs: read.int('BATCH_ROUTER_TIMEOUT_MS', 30000, { min: 100, max: 600000 }),
    authUrl: read.url('AUTH_URL', 'http://localhost:8081/graphql')!,
    serviceAccountPassword,
    retryLimit: read.int('BATCH_JOB_RETRY_LIMIT', 3, { min: 0, max: 100 }),
    retryDelaySeconds: read.int('BATCH_JOB_RETRY_DELAY_SECONDS', 30, { min: 0, max: 86400 }),
    cronCheckSeconds: read.int('BATCH_CRON_CHECK_SECONDS', 30, { min: 1, max: 45 }),
    schedules: Object.freeze(schedules),
    dormantAfterDays: read.int('DORMANT_AFTER_DAYS', 90, { min: 1, max: 3650 }),
    abandonedOrderMinutes: read.int('ABANDONED_ORDER_MINUTES', 30, { min: 0, max: 10080 }),
    messageArchiveAfterDays: read.int('MESSAGE_ARCHIVE_AFTER_DAYS', 365, { min: 1, max: 36500 }),
  });
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
