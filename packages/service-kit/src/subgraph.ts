import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, specifiedRules, validate, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, type ValidationContext, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Metric } from 'prom-client';
import { WebSocketServer } from 'ws';
import { databaseFailure } from './database';
import { createErrorFormatter } from './errors';
import { closeServer, createGraphQLHttpServer, healthRoute, HttpError, listen, readinessRoute, type HttpRoute, type ReadinessCheck } from './http';
import type { TokenVerifier, Viewer } from './identity';
import type { Logger } from './logger';
import { createServiceMetrics, observeReadiness } from './metrics';
import { ROUTER_SECRET_HEADER, secretsEqual } from './secrets';

/** What the subgraph knows about a request before its own context is built. */
export interface RequestIdentity {
  viewer: Viewer | null;
  /**
   * The request carries the router secret: it comes from the router, or from another service
   * calling an internal (@inaccessible) field, which the router never sends. Always true, since
   * requests without the secret are refused before a context is built; the internal fields' rules
   * still ask, so they stay closed on their own.
   */
  trusted: boolean;
  requestId?: string;
  /** The HTTP request's headers (absent over graphql-ws), for what the router passes besides the token. */
  headers?: IncomingHttpHeaders;
}

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: unknown;
  /** Wraps the built schema, e.g. with graphql-shield permissions. */
  protect?: (schema: GraphQLSchema) => GraphQLSchema;
  context(identity: RequestIdentity): Promise<TContext> | TContext;
  verifier: TokenVerifier;
  routerSecret: string;
  logger: Logger;
  mode: 'development' | 'production';
  routes?: HttpRoute[];
  health?: () => Promise<Record<string, unknown>>;
  /** What /ready checks: the database, Redis. */
  readiness?: Record<string, ReadinessCheck>;
  /** Series of the service's own (its outbox, its jobs), served on /metrics with the kit's. */
  metrics?: Metric[];
  /** Serve the schema's subscriptions over graphql-ws on the same port and path. */
  subscriptions?: boolean;
  /** Apollo Server plugins of the subgraph's own (auth's session headers), after the kit's. */
  plugins?: ApolloServerPlugin<TContext>[];
}

export interface SubgraphServer {
  httpServer: Server;
  schema: GraphQLSchema;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Second-line limits, for a request that carries the router secret but did not come through the
 * router's operation limits (a leaked secret, a router bug). Far above anything the router's plans
 * send with its defaults (depth 12, 15 aliases, cost 10000, bodies of 256 KiB), so they never refuse
 * the router: a subgraph fetch is a part of the client's operation, one level deeper at most
 * (`_entities`); its aliases are the client's plus the few the planner adds; and a user in 100
 * rooms of 100 members is 10000 User representations in one fetch of about 650 KB, which with the
 * client's own variables (at most the router's 256 KiB) fits the body bound twice over.
 */
export const SUBGRAPH_LIMITS = {
  maxDepth: 32,
  maxAliases: 100,
  /** Representations one request asks `_entities` for, over all its `_entities` fields. */
  maxEntityRepresentations: 10_000,
  maxBodyBytes: 2 * 1024 * 1024,
} as const;

const LIMIT_CODES = {
  depth: 'SUBGRAPH_MAX_DEPTH_EXCEEDED',
  aliases: 'SUBGRAPH_MAX_ALIASES_EXCEEDED',
  entities: 'SUBGRAPH_MAX_ENTITIES_EXCEEDED',
} as const;

/** A request over one of the subgraph's own limits; the code names the limit, `limit` its value. */
class SubgraphLimitError extends GraphQLError {
  constructor(limit: keyof typeof LIMIT_CODES, message: string, max: number) {
    super(message, { extensions: { code: LIMIT_CODES[limit], limit: max } });
  }
}

/** graphql-armor's options for one limit: report the limit's own error instead of armor's. */
const refusing = (limit: keyof typeof LIMIT_CODES, message: string, max: number) => ({
  n: max,
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null) => context?.reportError(new SubgraphLimitError(limit, message, max))],
});

const limitRules: ValidationRule[] = [
  // Fragments flattened as the router counts them, so the two bounds compare.
  maxDepthRule({
    ...refusing('depth', `The operation is nested deeper than this subgraph's limit of ${SUBGRAPH_LIMITS.maxDepth} levels.`, SUBGRAPH_LIMITS.maxDepth),
    ignoreIntrospection: true,
    flattenFragments: true,
  }),
  maxAliasesRule(refusing('aliases', `The operation uses more than this subgraph's limit of ${SUBGRAPH_LIMITS.maxAliases} aliases.`, SUBGRAPH_LIMITS.maxAliases)),
];

/**
 * Apollo Server renames every validation error GRAPHQL_VALIDATION_FAILED; a limit's own code is
 * put back, so the caller sees which limit it broke.
 */
function withLimitCode(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  return original instanceof SubgraphLimitError ? { ...formatted, extensions: { ...formatted.extensions, code: original.extensions.code } } : formatted;
}

/** Counts each request's `_entities` representations (the context is one per request) and refuses those over the limit. */
function limitEntityRepresentations(schema: GraphQLSchema): void {
  const entities = schema.getQueryType()?.getFields()._entities;
  const resolve = entities?.resolve;
  if (!entities || !resolve) return;
  const asked = new WeakMap<object, number>();
  entities.resolve = (source, args: { representations: unknown[] }, context: object, info) => {
    const total = (asked.get(context) ?? 0) + args.representations.length;
    asked.set(context, total);
    const max = SUBGRAPH_LIMITS.maxEntityRepresentations;
    if (total > max) throw new SubgraphLimitError('entities', `The request asks _entities for ${total} representations, over this subgraph's limit of ${max}.`, max);
    return resolve(source, args, context, info);
  };
}

const ROUTER_ONLY_CODE = 'ROUTER_SECRET_REQUIRED';
const ROUTER_ONLY_MESSAGE =
  'This service answers GraphQL only to the DoranDoran router. Query the router at its /graphql instead (http://localhost:8080/graphql when run locally).';

const hasRouterSecret = (given: unknown, routerSecret: string) => typeof given === 'string' && secretsEqual(given, routerSecret);

/**
 * A subgraph is not public: GraphQL answers only the holders of the router secret (the router,
 * and services calling internal fields), a valid user token or not. 403 rather than 401, so that
 * a client does not take it for an expired token and refresh.
 */
function requireRouterSecret(req: IncomingMessage, routerSecret: string): void {
  if (!hasRouterSecret(req.headers[ROUTER_SECRET_HEADER], routerSecret)) {
    // Closed, so that a large body sent along is not read.
    throw new HttpError(403, ROUTER_ONLY_CODE, ROUTER_ONLY_MESSAGE, { connection: 'close' });
  }
}

/** The caller's token, when present, is verified here again: the router passes it on, not its verdict. */
async function identify(headers: { authorization?: unknown; requestId?: unknown }, verifier: TokenVerifier): Promise<RequestIdentity> {
  const viewer = await verifier.verify(typeof headers.authorization === 'string' ? headers.authorization : undefined);
  const requestId = headers.requestId;
  return { viewer, trusted: true, requestId: typeof requestId === 'string' ? requestId : undefined };
}

const httpIdentity = (req: IncomingMessage, requestId: string) => ({ authorization: req.headers.authorization, requestId });

/** graphql-ws: `connectionParams` first (browsers cannot set headers), then the upgrade request's headers. */
const socketIdentity = (params: Record<string, unknown> | undefined, req: IncomingMessage) => ({
  authorization: params?.authorization ?? req.headers.authorization,
  secret: params?.[ROUTER_SECRET_HEADER] ?? req.headers[ROUTER_SECRET_HEADER],
  requestId: params?.['x-request-id'] ?? req.headers['x-request-id'],
});

export async function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<SubgraphServer> {
  const built = buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  limitEntityRepresentations(built);
  const schema = options.protect ? options.protect(built) : built;
  const log = options.logger;
  const metrics = createServiceMetrics(options.name);
  observeReadiness(metrics.registry, () => options.readiness ?? {});
  for (const metric of options.metrics ?? []) metrics.registry.registerMetric(metric);
  const formatCoded = createErrorFormatter((error) => log.error({ err: error }, 'internal error in resolver'), Object.values(LIMIT_CODES));
  /** One formatting for answers over HTTP and events over graphql-ws: coded errors pass, anything else says nothing of its insides. */
  const formatError = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const failure = databaseFailure(error);
    if (failure === undefined) return formatCoded(withLimitCode(formatted, error), error);
    // Logged by its kind only: the driver's message carries the statement and its values.
    log.warn({ failure }, 'the database did not answer in time');
    return {
      message: `The ${options.name} service's database did not answer in time; try again shortly.`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    };
  };
  const apollo = new ApolloServer<TContext>({
    schema,
    validationRules: limitRules,
    introspection: options.mode === 'development',
    includeStacktraceInErrorResponses: false,
    // runUntilSignal closes everything in order; Apollo's own handler would re-raise the signal first.
    stopOnTerminationSignals: false,
    // Traces are for Apollo's hosted reporting, which this router does not use.
    plugins: [ApolloServerPluginInlineTraceDisabled(), metrics.graphqlPlugin(), ...(options.plugins ?? [])],
    formatError,
  });
  await apollo.start();
  const httpServer = createGraphQLHttpServer<TContext>({
    service: options.name,
    apollo,
    logger: log,
    maxBodyBytes: SUBGRAPH_LIMITS.maxBodyBytes,
    beforeRequest(req) {
      if (new URL(req.url ?? '/', 'http://localhost').pathname === '/graphql') requireRouterSecret(req, options.routerSecret);
      return false;
    },
    context: async (req, requestId) => options.context({ ...(await identify(httpIdentity(req, requestId), options.verifier)), headers: req.headers }),
    routes: [
      healthRoute(async () => ({ service: options.name, ...(await options.health?.()) })),
      readinessRoute(() => options.readiness ?? {}),
      metrics.route(),
      ...(options.routes ?? []),
    ],
  });
  const sockets = options.subscriptions ? serveSubscriptions(httpServer, schema, options, formatError) : undefined;
  return {
    httpServer,
    schema,
    listen: (port, host) => listen(httpServer, port, host),
    async close() {
      await sockets?.dispose();
      await closeServer(httpServer);
      await apollo.stop();
    },
  };
}

/**
 * graphql-ws on the HTTP server's /graphql. The router secret and the token are checked once, on
 * connect: without the secret the socket closes with 4403 and a reason naming the router; a bad
 * token closes it with 4403 so that the client refreshes it and reconnects.
 */
function serveSubscriptions<TContext extends BaseContext>(
  httpServer: Server,
  schema: GraphQLSchema,
  options: SubgraphServerOptions<TContext>,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
) {
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const identities = new WeakMap<object, RequestIdentity>();
  const cleanup = useServer(
    {
      schema,
      validate: (schema, document) => validate(schema, document, [...specifiedRules, ...limitRules]),
      onConnect: async (ctx) => {
        const given = socketIdentity(ctx.connectionParams, ctx.extra.request);
        if (!hasRouterSecret(given.secret, options.routerSecret)) {
          // Closed here for the reason; graphql-ws's own close that follows is a no-op.
          ctx.extra.socket.close(4403, `${ROUTER_ONLY_CODE}: this service answers only the router; query the router's /graphql`);
          return false;
        }
        try {
          identities.set(ctx.extra, await identify(given, options.verifier));
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx) => options.context(identities.get(ctx.extra)!),
      // An event's field that failed: as over HTTP, so no statement or stack reaches the router.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined,
    },
    wss,
  );
  return {
    async dispose() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
