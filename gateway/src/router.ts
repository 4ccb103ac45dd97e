import { createServer, type Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  closeServer,
  createErrorFormatter,
  createGraphQLHttpServer,
  HttpError,
  healthRoute,
  listen,
  readinessRoute,
  type HttpRoute,
  type Logger,
  type ReadinessCheck,
  type TokenVerifier,
} from '@dorandoran/service-kit';
import type { GraphQLFormattedError } from 'graphql';
import Redis from 'ioredis';
import type { RouterConfig } from './config';
import { createRouterContext, type RouterContext } from './context';
import { createRouterMetrics } from './metrics';
import { enforceAuthDirectives } from './plugins/enforceAuthDirectives';
import { createHttpStatusPlugin } from './plugins/httpStatus';
import { AuthenticatedDataSource } from './plugins/subgraphAuth';
import { SANDBOX_CONTENT_SECURITY_POLICY, sandboxLandingPage } from './plugins/sandboxLandingPage';
import { SESSION_PATH, sessionCookiePlugin } from './plugins/sessionCookie';
import { withoutSuggestions } from './plugins/subscriptionLimits';
import { createSubscriptionServer, type SubscriptionServer } from './plugins/subscriptions';
import { createCorsHandler } from './protection/browserSafety';
import { clientAddress } from './protection/clientAddress';
import { createOperationGuard } from './protection/operationGuard';
import { OPERATION_LIMIT_CODES, tokenLimitError } from './protection/operationLimits';
import { loadManifest, notInSafelist, persistedQueryCache } from './protection/persistedQueries';
import { createRateLimiter, RateLimitedError } from './protection/rateLimits';
import { serviceAccountOf } from './protection/serviceCaller';
import { createSubgraphFetcher, type SubgraphFetcher } from './resilience/subgraphFetcher';
import { fileSupergraph } from './supergraph';
import { serveWebApp } from './webApp';
import { forwardProductImages } from './productImages';
import { forwardPaymentWebhooks } from './webhookForward';

export interface RouterDeps {
  config: RouterConfig;
  verifier: TokenVerifier;
  routerSecret: string;
  logger: Logger;
  /** Namespaces the router's keys in Redis (rate-limit budgets, persisted queries). */
  redisKeyPrefix?: string;
}

export interface Router {
  httpServer: Server;
  subscriptions: SubscriptionServer;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

const REDIS_COMMAND_TIMEOUT_MS = 500;

/** Codes the router adds to those every service lets through to clients. */
const ROUTER_CLIENT_CODES = [...OPERATION_LIMIT_CODES, 'PERSISTED_QUERY_NOT_IN_LIST', 'PAYLOAD_TOO_LARGE'];

/**
 * The router: @apollo/gateway over the committed supergraph, behind CORS, rate limits, operation
 * limits, token verification and auth directives, with a breaker per subgraph.
 */
export async function createRouter({ config, verifier, routerSecret, logger, redisKeyPrefix = 'dorandoran:router' }: RouterDeps): Promise<Router> {
  const metrics = createRouterMetrics();
  // No offline queue and a command timeout: while Redis is away or stalled, its callers fall back
  // at once (memory budgets, cache misses) instead of holding every request.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: REDIS_COMMAND_TIMEOUT_MS })
    : undefined;
  redis?.on('error', (error) => logger.warn({ err: error.message }, 'router redis error'));
  const rateLimiter = createRateLimiter(config.rateLimits, redis, `${redisKeyPrefix}:rl`);
  const manifest = config.persistedQueryManifest ? loadManifest(config.persistedQueryManifest) : undefined;
  const safelist = config.safelist ? manifest : undefined;
  const guard = createOperationGuard({ limits: config.limits, rateLimiter, safelist, metrics });

  const supergraph = fileSupergraph(config.supergraphPath, config.supergraphPollMs, logger);
  const subgraphUrl = (name: string, url: string) => config.subgraphUrls[name] ?? url;
  const timeoutOf = (name: string) => config.subgraphTimeoutMs[name] ?? config.subgraphTimeoutMs.default;
  // One fetcher per subgraph for the router's life: its pool and breaker outlive supergraph reloads.
  const fetchers = new Map<string, SubgraphFetcher>();
  const fetcherFor = (name: string) => {
    let fetcher = fetchers.get(name);
    if (!fetcher) {
      fetcher = createSubgraphFetcher({ name, timeoutMs: timeoutOf(name), connections: config.subgraphConnections, breaker: config.breaker, metrics, logger });
      fetchers.set(name, fetcher);
    }
    return fetcher;
  };
  const dataSource = (name: string, url: string) =>
    new AuthenticatedDataSource({ name, url: subgraphUrl(name, url), routerSecret, fetcher: fetcherFor(name).fetch, timeoutMs: timeoutOf(name) });
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.manager,
    logger,
    buildService: ({ name, url }) => dataSource(name, url!),
  });
  let schemaLoaded = false;
  gateway.onSchemaLoadOrUpdate(() => {
    schemaLoaded = true;
  });

  const notInSafelistFormatted = { message: notInSafelist().message, extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } };
  const formatCoded = createErrorFormatter((error) => logger.error({ err: error }, 'internal error'), ROUTER_CLIENT_CODES);
  const formatError = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED') {
      const overLimit = tokenLimitError(formatted.message, config.limits.maxTokens);
      if (overLimit) {
        metrics.limitRejected.inc({ limit: 'tokens' });
        return { message: overLimit.message, extensions: { code: overLimit.extensions.code, limit: overLimit.extensions.limit } };
      }
    }
    // In safelist mode an unknown id is not a cache miss to be fixed by sending the text: it is refused.
    if (safelist && formatted.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND') {
      metrics.limitRejected.inc({ limit: 'safelist' });
      return notInSafelistFormatted;
    }
    const result = formatCoded(formatted, error);
    // Suggestions would spell out the schema that introspection being off keeps private.
    return config.mode === 'production' ? withoutSuggestions(result) : result;
  };

  const apollo = new ApolloServer<RouterContext>({
    gateway: enforceAuthDirectives(gateway, supergraph.policy),
    introspection: config.mode === 'development',
    csrfPrevention: true,
    persistedQueries: { cache: persistedQueryCache(redis, `${redisKeyPrefix}:apq`, manifest, config.safelist), ttl: config.apqTtlSeconds },
    parseOptions: { maxTokens: config.limits.maxTokens },
    includeStacktraceInErrorResponses: false,
    // runUntilSignal closes everything in order; Apollo's own handler would re-raise the signal first.
    stopOnTerminationSignals: false,
    plugins: [createHttpStatusPlugin(), metrics.graphqlPlugin(), guard.plugin(), sessionCookiePlugin(), sandboxLandingPage(config.mode)],
    formatError,
  });

  const cors = createCorsHandler(config.corsOrigins);
  const readiness: Record<string, ReadinessCheck> = {
    supergraph: async () => {
      if (!schemaLoaded) throw new Error('not loaded yet');
    },
    ...(redis ? { redis: () => redis.ping() } : {}),
  };
  let subscriptions: SubscriptionServer | undefined;
  const httpServer = createGraphQLHttpServer<RouterContext>({
    service: 'router',
    apollo,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    extraGraphqlPaths: [SESSION_PATH],
    async beforeRequest(req, res) {
      if (await cors(req, res)) return true;
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (pathname !== '/graphql' && pathname !== SESSION_PATH) return false;
      // A browser's GET is the Sandbox page (plugins/sandboxLandingPage.ts), under its own policy.
      if (req.method === 'GET') res.setHeader('content-security-policy', SANDBOX_CONTENT_SECURITY_POLICY);
      // The batch service spends a budget of its own, never its address's (protection/serviceCaller.ts).
      const service = await serviceAccountOf(req.headers.authorization, verifier);
      try {
        if (service) await rateLimiter.consume('service', `account:${service}`);
        else await rateLimiter.consume('ip', clientAddress(req, config.trustProxyHops));
      } catch (error) {
        if (!(error instanceof RateLimitedError)) throw error;
        metrics.rateLimited.inc({ limit: error.budget });
        throw new HttpError(429, 'RATE_LIMITED', error.message, { 'retry-after': String(error.retryAfterSeconds) }, { retryAfter: error.retryAfterSeconds, budget: error.budget });
      }
      return false;
    },
    fallback: serveWebApp({ distDir: config.webDistPath, graphiql: config.mode === 'development' }),
    context: (req, requestId) => createRouterContext(req, requestId, verifier, config.trustProxyHops),
    routes: [
      healthRoute(() => ({ service: 'router', subscriptions: subscriptions?.stats() })),
      readinessRoute(() => readiness),
      ...(config.metricsPort === undefined ? [metrics.route()] : []),
      forwardPaymentWebhooks({ gateway, subgraphUrl, timeoutMs: timeoutOf('store'), logger }),
      forwardProductImages({ gateway, subgraphUrl, timeoutMs: timeoutOf('store'), logger }),
    ],
  });
  subscriptions = createSubscriptionServer({
    httpServer,
    gateway,
    policy: supergraph.policy,
    verifier,
    dataSource,
    subgraphUrl,
    routerSecret,
    logger,
    guard,
    rateLimiter,
    clientIp: (req) => clientAddress(req, config.trustProxyHops),
    maxTokens: config.limits.maxTokens,
    config,
  });
  metrics.observeSockets(() => subscriptions.stats());
  await apollo.start();
  const metricsServer = config.metricsPort === undefined ? undefined : createMetricsServer(metrics.route(), logger);
  return {
    httpServer,
    subscriptions,
    async listen(port, host) {
      const listening = await listen(httpServer, port, host);
      if (metricsServer) logger.info({ port: await listen(metricsServer, config.metricsPort!, host) }, 'router metrics listening');
      return listening;
    },
    async close() {
      await subscriptions.dispose();
      if (metricsServer) await closeServer(metricsServer);
      await closeServer(httpServer);
      await apollo.stop();
      for (const fetcher of fetchers.values()) await fetcher.close();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}

/** `/metrics` alone, on a port that is not published to clients. */
function createMetricsServer(route: HttpRoute, logger: Logger): Server {
  return createServer((req, res) => {
    if (req.method === route.method && new URL(req.url ?? '/', 'http://localhost').pathname === route.path) {
      Promise.resolve(route.handle(req, res)).catch((error: unknown) => {
        logger.error({ err: error }, 'metrics scrape failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Only /metrics is served here.\n');
  });
}
