import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, readCommonConfig, readEnv, type CommonConfig, type EnvReader, type Environment } from '@dorandoran/service-kit';

/** Subgraphs whose routing URL can be overridden with `<NAME>_URL` (docker compose does). */
export const KNOWN_SUBGRAPHS = ['auth', 'users', 'chat', 'store', 'batch'] as const;

/** Browser origins a local web app runs on (Next/CRA, Vite). */
const LOCAL_ORIGINS = ['http://localhost:3000', 'http://localhost:5173'];

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  /** Field selections once fragments are written out: bounds what a few spreads can multiply. */
  maxFields: number;
  maxRootFields: number;
  maxTokens: number;
  maxDirectivesPerField: number;
  /** Estimated cost units (see docs/ARCHITECTURE.md, Router protection). */
  maxCost: number;
  /** The size assumed for a list without `first`/`last`. */
  defaultListSize: number;
}

export interface RateLimits {
  enabled: boolean;
  windowSeconds: number;
  /** Requests (and WebSocket connections) per client IP per window. */
  perIp: number;
  /** Operations per signed-in user per window. */
  perUser: number;
  /** logIn, signUp, requestPasswordReset and resetPassword per client IP per window. */
  authOperations: number;
  /** Estimated cost units per user (or IP when signed out) per window. */
  cost: number;
  /**
   * The batch service's own budget per window: its requests (signed in with scope `service`) and
   * its sign-ins, which spend neither the address's requests nor its sign-in attempts.
   */
  service: number;
}

/** What one client may hold open over graphql-ws (the frame size is MAX_BODY_BYTES, as for HTTP bodies). */
export interface SubscriptionLimits {
  /** Subscriptions one connection runs at once. */
  maxPerConnection: number;
  /** Connections open at once from one client IP, on this router instance. */
  maxConnectionsPerIp: number;
}

export interface BreakerSettings {
  /** Failed share of recent fetches, in percent, that opens a subgraph's breaker. */
  errorThresholdPercentage: number;
  /** Fetches in the rolling window before the share counts. */
  volumeThreshold: number;
  /** How long an open breaker answers at once before letting one probe through. */
  resetMs: number;
}

export interface RouterConfig extends CommonConfig {
  port: number;
  /** The composed supergraph; watched and reloaded when it changes. */
  supergraphPath: string;
  /** Routing URL overrides by subgraph name; the rest come from the supergraph. */
  subgraphUrls: Readonly<Record<string, string>>;
  /** How often the supergraph file is checked for changes. */
  supergraphPollMs: number;
  /** Per subgraph: `<NAME>_SUBGRAPH_TIMEOUT_MS`, else SUBGRAPH_TIMEOUT_MS. */
  subgraphTimeoutMs: Readonly<Record<string, number>> & { default: number };
  /** Keep-alive connections the router holds open per subgraph at most. */
  subgraphConnections: number;
  breaker: BreakerSettings;
  maxBodyBytes: number;
  subscriptions: SubscriptionLimits;
  /** Proxies in front of the router whose X-Forwarded-For entries are believed (0: none). */
  trustProxyHops: number;
  /** Browser origins allowed by CORS; `*` allows any origin without credentials. */
  corsOrigins: readonly string[];
  limits: OperationLimits;
  rateLimits: RateLimits;
  /** How long an automatically persisted query is kept. */
  apqTtlSeconds: number;
  /** A persisted-query manifest whose operations clients may send by id alone (the web app's). */
  persistedQueryManifest?: string;
  /** Only the manifest's operations run. */
  safelist: boolean;
  /** The built web app, served at `/` (`npm run build:web`). */
  webDistPath: string;
  /**
   * A port of its own for `/metrics`, kept off the public port (production's default, 9090); unset,
   * the router's own port serves it (development's default).
   */
  metricsPort?: number;
  /**
   * Identical queries under way at once share one execution, and identical subgraph query fetches
   * one call (deduplication.ts): same text, variables and caller; never mutations.
   */
  deduplicate: boolean;
  /**
   * Entity fields a subgraph marks @viewerIndependent are cached this long (entityCache/); 0 turns
   * the cache off. Owners' events drop an entity sooner.
   */
  entityCacheTtlSeconds: number;
  /** Entries the in-process entity cache holds at most (without REDIS_URL; Redis is bounded by the TTL). */
  entityCacheMaxEntries: number;
}

export function loadRouterConfig(env: Environment): RouterConfig {
  const read = readEnv(env);
  const common = readCommonConfig(env);
  const subgraphUrls: Record<string, string> = {};
  const defaultTimeout = read.int('SUBGRAPH_TIMEOUT_MS', 10000, { min: 100, max: 120000 });
  const subgraphTimeoutMs: Record<string, number> & { default: number } = { default: defaultTimeout };
  for (const name of KNOWN_SUBGRAPHS) {
    const url = read.url(`${name.toUpperCase()}_URL`, undefined);
    if (url) subgraphUrls[name] = url;
    subgraphTimeoutMs[name] = read.int(`${name.toUpperCase()}_SUBGRAPH_TIMEOUT_MS`, defaultTimeout, { min: 100, max: 120000 });
  }
  return Object.freeze({
    ...common,
    port: read.int('ROUTER_PORT', 8080, { min: 0, max: 65535 }),
    supergraphPath: path.resolve(read.string('SUPERGRAPH_PATH', path.join(__dirname, '..', '..', 'supergraph.graphql'))),
    subgraphUrls: Object.freeze(subgraphUrls),
    supergraphPollMs: read.int('SUPERGRAPH_POLL_MS', 1000, { min: 50, max: 60000 }),
    subgraphTimeoutMs: Object.freeze(subgraphTimeoutMs),
    subgraphConnections: read.int('SUBGRAPH_CONNECTIONS', 64, { min: 1, max: 4096 }),
    breaker: {
      errorThresholdPercentage: read.int('BREAKER_ERROR_PERCENT', 50, { min: 1, max: 100 }),
      volumeThreshold: read.int('BREAKER_MIN_REQUESTS', 5, { min: 1, max: 10000 }),
      resetMs: read.int('BREAKER_RESET_MS', 2000, { min: 100, max: 600000 }),
    },
    maxBodyBytes: read.int('MAX_BODY_BYTES', 256 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
    subscriptions: {
      maxPerConnection: read.int('MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, { min: 1, max: 10000 }),
      maxConnectionsPerIp: read.int('MAX_WEBSOCKETS_PER_IP', 1000, { min: 1, max: 1_000_000 }),
    },
    trustProxyHops: read.int('TRUST_PROXY_HOPS', 0, { min: 0, max: 10 }),
    corsOrigins: readOrigins(read.optional('CORS_ORIGINS'), common.mode),
    limits: {
      maxDepth: read.int('MAX_DEPTH', 12, { min: 1, max: 100 }),
      maxAliases: read.int('MAX_ALIASES', 15, { min: 0, max: 1000 }),
      maxFields: read.int('MAX_FIELDS', 1000, { min: 1, max: 100000 }),
      maxRootFields: read.int('MAX_ROOT_FIELDS', 10, { min: 1, max: 1000 }),
      maxTokens: read.int('MAX_TOKENS', 2000, { min: 10, max: 100000 }),
      maxDirectivesPerField: read.int('MAX_DIRECTIVES_PER_FIELD', 5, { min: 0, max: 100 }),
      maxCost: read.int('MAX_COST', 10000, { min: 1, max: 10_000_000 }),
      defaultListSize: read.int('DEFAULT_LIST_SIZE', 10, { min: 1, max: 1000 }),
    },
    rateLimits: {
      enabled: read.bool('RATE_LIMITS', true),
      windowSeconds: read.seconds('RATE_LIMIT_WINDOW', '60'),
      perIp: read.int('RATE_LIMIT_IP', 600, { min: 1 }),
      perUser: read.int('RATE_LIMIT_USER', 300, { min: 1 }),
      authOperations: read.int('RATE_LIMIT_AUTH', 10, { min: 1 }),
      cost: read.int('RATE_LIMIT_COST', 100000, { min: 1 }),
      service: read.int('RATE_LIMIT_SERVICE', 600, { min: 1 }),
    },
    apqTtlSeconds: read.seconds('APQ_TTL', '1d'),
    ...readPersistedQueries(read),
    webDistPath: path.resolve(read.string('WEB_DIST_PATH', path.join(__dirname, '..', '..', 'web', 'dist'))),
    deduplicate: read.bool('DEDUPLICATE_QUERIES', true),
    entityCacheTtlSeconds: read.int('ENTITY_CACHE_TTL_SECONDS', 60, { min: 0, max: 86_400 }),
    entityCacheMaxEntries: read.int('ENTITY_CACHE_MAX_ENTRIES', 10_000, { min: 1, max: 10_000_000 }),
    metricsPort: read.optional('METRICS_PORT') !== undefined || common.mode === 'production' ? read.int('METRICS_PORT', 9090, { min: 0, max: 65535 }) : undefined,
  });
}

/** The web app's manifest, written by `npm run codegen`. */
const WEB_MANIFEST = path.join(__dirname, '..', '..', 'web', 'persisted-query-manifest.json');

function readPersistedQueries(read: EnvReader): Pick<RouterConfig, 'persistedQueryManifest' | 'safelist'> {
  const given = read.optional('PERSISTED_QUERY_MANIFEST');
  const manifest = given ? path.resolve(given) : existsSync(WEB_MANIFEST) ? WEB_MANIFEST : undefined;
  if (given && !existsSync(manifest!)) throw new ConfigError('PERSISTED_QUERY_MANIFEST', `names ${manifest}, which does not exist`);
  const safelist = read.bool('SAFELIST', false);
  if (safelist && !manifest) throw new ConfigError('SAFELIST', 'needs PERSISTED_QUERY_MANIFEST: the operations that may run');
  return { persistedQueryManifest: manifest, safelist };
}

function readOrigins(text: string | undefined, mode: 'development' | 'production'): readonly string[] {
  if (text === undefined) return mode === 'development' ? LOCAL_ORIGINS : [];
  const origins = text.split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of origins) {
    if (origin === '*') continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError('CORS_ORIGINS', `must list origins like https://app.example.com, got "${origin}"`);
    }
    if (url.origin !== origin) throw new ConfigError('CORS_ORIGINS', `"${origin}" is not an origin; write it as ${url.origin}`);
  }
  return Object.freeze(origins);
}
