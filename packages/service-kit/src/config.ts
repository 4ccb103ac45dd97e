/** Reads environment variables once, at start, and says exactly which one is wrong. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

export interface EnvReader {
  /** A string, or the default when unset or empty. */
  string(name: string, fallback: string): string;
  /** A string, or undefined when unset or empty. */
  optional(name: string): string | undefined;
  /** An integer within [min, max]. */
  int(name: string, fallback: number, range?: { min?: number; max?: number }): number;
  /** A duration such as `15m`, `7d`, `30s` or a number of seconds; returned in seconds. */
  seconds(name: string, fallback: string): number;
  /** One of the listed values. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T;
  /** An absolute URL with one of the given protocols. */
  url(name: string, fallback: string | undefined, protocols?: readonly string[]): string | undefined;
  bool(name: string, fallback: boolean): boolean;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function parseSeconds(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNITS[match[2] || 's'];
}

export function readEnv(env: Environment): EnvReader {
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  return {
    string: (name, fallback) => raw(name) ?? fallback,
    optional: (name) => raw(name),
    int(name, fallback, range = {}) {
      const text = raw(name);
      if (text === undefined) return fallback;
      const value = Number(text);
      if (!Number.isInteger(value)) throw new ConfigError(name, `must be a whole number, got "${text}"`);
      if (range.min !== undefined && value < range.min) throw new ConfigError(name, `must be at least ${range.min}, got ${value}`);
      if (range.max !== undefined && value > range.max) throw new ConfigError(name, `must be at most ${range.max}, got ${value}`);
      return value;
    },
    seconds(name, fallback) {
      const text = raw(name) ?? fallback;
      const value = parseSeconds(text);
      if (value === undefined || value <= 0) {
        throw new ConfigError(name, `must be a positive duration like 900, 15m, 12h or 7d, got "${text}"`);
      }
      return value;
    },
    oneOf(name, values, fallback) {
      const text = raw(name);
      if (text === undefined) return fallback;
      const value = values.find((candidate) => candidate === text);
      if (!value) throw new ConfigError(name, `must be one of ${values.join(', ')}, got "${text}"`);
      return value;
    },
    url(name, fallback, protocols = ['http:', 'https:']) {
      const text = raw(name) ?? fallback;
      if (text === undefined) return undefined;
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new ConfigError(name, `must be an absolute URL, got "${text}"`);
      }
      if (!protocols.includes(url.protocol)) {
        throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${url.protocol}"`);
      }
      return text;
    },
    bool(name, fallback) {
      const text = raw(name);
      if (text === undefined) return fallback;
      if (['1', 'true', 'yes', 'on'].includes(text.toLowerCase())) return true;
      if (['0', 'false', 'no', 'off'].includes(text.toLowerCase())) return false;
      throw new ConfigError(name, `must be true or false, got "${text}"`);
    },
  };
}

/** DATABASE_TIMEOUT_MS's default: under the router's 10 s subgraph timeout, so the client hears why. */
export const DEFAULT_DATABASE_TIMEOUT_MS = 5000;

/** Settings every service reads the same way. */
export interface CommonConfig {
  /** `production` turns introspection off (and requires REDIS_URL for separate processes). */
  mode: 'development' | 'production';
  logLevel: string;
  /** Folder for embedded databases and generated local secrets. */
  dataDir: string;
  /** A PostgreSQL server; unset means embedded PGlite per service. */
  databaseUrl?: string;
  /** How long a service waits on its database for one statement, connection or pooled connection (database.ts, databaseLimits). */
  databaseTimeoutMs: number;
  /** A Redis server; unset means in-process stores. */
  redisUrl?: string;
  /** Shared secret the router sends to subgraphs; generated under dataDir when unset. */
  routerSecret?: string;
  jwtIssuer: string;
  jwtAudience: string;
  /** Where services fetch the auth subgraph's public keys. */
  jwksUrl: string;
  /** An OTLP/HTTP collector for traces (`<endpoint>/v1/traces`); unset means no tracing. */
  otlpEndpoint?: string;
}

export function readCommonConfig(env: Environment): CommonConfig {
  const read = readEnv(env);
  return {
    mode: read.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development') === 'production'
      ? 'production'
      : 'development',
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    dataDir: read.string('DATA_DIR', '.data'),
    databaseUrl: read.url('DATABASE_URL', undefined, ['postgres:', 'postgresql:']),
    databaseTimeoutMs: read.int('DATABASE_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUT_MS, { min: 100, max: 600_000 }),
    redisUrl: read.url('REDIS_URL', undefined, ['redis:', 'rediss:']),
    routerSecret: read.optional('ROUTER_SECRET'),
    jwtIssuer: read.string('JWT_ISSUER', 'dorandoran-auth'),
    jwtAudience: read.string('JWT_AUDIENCE', 'dorandoran'),
    jwksUrl: read.url('AUTH_JWKS_URL', 'http://localhost:8081/.well-known/jwks.json')!,
    otlpEndpoint: read.url('OTEL_EXPORTER_OTLP_ENDPOINT', undefined),
  };
}
