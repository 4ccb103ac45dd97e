import { createServer, type Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  closeServer,
  createGraphQLHttpServer,
  healthRoute,
  listen,
  observeReadiness,
  readinessRoute,
  type EventTransport,
  type HttpRoute,
  type Logger,
  type ReadinessCheck,
  type TokenVerifier,
} from '@dorandoran/service-kit';
import Redis from 'ioredis';
import { enforceAuthDirectives } from './authorization/enforce';
import type { RouterConfig } from './config';
import { createRouterContext, type RouterContext } from './context';
import { deduplicateQueries } from './deduplication';
import { startEntityCache } from './entityCache/start';
import { routerErrorFormatter } from './errorFormatting';
import { createRouterMetrics } from './metrics';
import { createHttpStatusPlugin } from './plugins/httpStatus';
import { SANDBOX_CONTENT_SECURITY_POLICY, sandboxLandingPage } from './plugins/sandboxLandingPage';
import { SESSION_PATH, sessionCookiePlugin } from './plugins/sessionCookie';
import { forwardProductImages } from './productImages';
import { createCorsHandler } from './protection/browserSafety';
import { clientAddress } from './protection/clientAddress';
import { createOperationGuard } from './protection/operationGuard';
import { loadManifest, persistedQueryCache } from './protection/persistedQueries';
import { createRateLimiter } from './protection/rateLimits';
import { spendRequestBudget } from './protection/serviceCaller';
import { subgraphConnections } from './resilience/subgraphConnections';
import { createSubscriptionServer, type SubscriptionServer } from './subscriptions/server';
import { fileSupergraph } from './supergraph';
import { serveWebApp } from './webApp';
import { forwardPaymentWebhooks } from './webhookForward';

export interface RouterDeps {
  config: RouterConfig;
  verifier: TokenVerifier;
  routerSecret: string;
  logger: Logger;
  /** Namespaces the router's keys in Redis (rate-limit budgets, persisted queries). */
  redisKeyPrefix?: string;
  /** The domain events, by which owners invalidate the entity cache; without them there is no entity cache. */
  events?: EventTransport;
}

export interface Router {
  httpServer: Server;
  subscriptions: SubscriptionServer;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

const REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * The router: @apollo/gateway over the committed supergraph, behind CORS, rate limits, operation
 * limits, token verification and auth directives, with a breaker per subgraph.
 */
export async function createRouter({ config, verifier, routerSecret, logger, redisKeyPrefix = 'dorandoran:router', events }: RouterDeps): Promise<Router> {
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
  const subgraphs = subgraphConnections(config, routerSecret, metrics, logger);
  const entityCache = await startEntityCache({ config, redis, redisKeyPrefix, events, metrics, logger });
  const { dataSource, urlOf: subgraphUrl, timeoutOf } = subgraphs;
  // Unless this is set, @apollo/gateway probes four clouds' metadata addresses as it starts and then
  // reports the host (OS, CPUs, memory, uptime) to usage-reporting.api.apollographql.com hourly and
  // when it stops. Nothing leaves our router for a third party unless its operator opts in (false).
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  // Queries only: a subscription event's fetches are already shared by all its subscribers, and
  // fresh for each event, so a profile changed just before a message shows on that message.
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.manager,
    logger,
    buildService: ({ name, url }) => (entityCache ? entityCache.cache.wrap(name, dataSource(name, url!)) : dataSource(name, url!)),
  });
  let schemaLoaded = false;
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    entityCache?.cache.useSupergraph(coreSupergraphSdl);
    schemaLoaded = true;
  });

  const filtered = enforceAuthDirectives(gateway, supergraph.policy);
  const deduplication = config.deduplicate ? deduplicateQueries(filtered, () => metrics.deduplicated.inc({ level: 'operation' })) : undefined;
  const apollo = new ApolloServer<RouterContext>({
    gateway: deduplication?.gateway ?? filtered,
    ...(deduplication ? { stringifyResult: deduplication.stringifyResult } : {}),
    introspection: config.mode === 'development',
    csrfPrevention: true,
    persistedQueries: { cache: persistedQueryCache(redis, `${redisKeyPrefix}:apq`, manifest, config.safelist), ttl: config.apqTtlSeconds },
    parseOptions: { maxTokens: config.limits.maxTokens },
    includeStacktraceInErrorResponses: false,
    // runUntilSignal closes everything in order; Apollo's own handler would re-raise the signal first.
    stopOnTerminationSignals: false,
    plugins: [createHttpStatusPlugin(), metrics.graphqlPlugin(), guard.plugin(), sessionCookiePlugin(), sandboxLandingPage(config.mode)],
    formatError: routerErrorFormatter(config, !!safelist, metrics, logger),
  });

  const cors = createCorsHandler(config.corsOrigins);
  const readiness: Record<string, ReadinessCheck> = {
    supergraph: async () => {
      if (!schemaLoaded) throw new Error('not loaded yet');
    },
    ...(redis ? { redis: () => redis.ping() } : {}),
  };
  observeReadiness(metrics.registry, () => readiness);
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
      await spendRequestBudget(req, { verifier, rateLimiter, trustProxyHops: config.trustProxyHops, metrics });
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
      await entityCache?.close();
      await subgraphs.close();
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
