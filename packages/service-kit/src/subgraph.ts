import type { IncomingMessage, Server } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createErrorFormatter } from './errors';
import { closeServer, createGraphQLHttpServer, healthRoute, listen, readinessRoute, type HttpRoute, type ReadinessCheck } from './http';
import { unauthenticatedHttp, type TokenVerifier, type Viewer } from './identity';
import type { Logger } from './logger';
import { createServiceMetrics } from './metrics';
import { ROUTER_SECRET_HEADER, secretsEqual } from './secrets';

/** What the subgraph knows about a request before its own context is built. */
export interface RequestIdentity {
  viewer: Viewer | null;
  /**
   * The request carries the router secret: it comes from the router, or from another service
   * calling an internal (@inaccessible) field, which the router never sends.
   */
  trusted: boolean;
  requestId?: string;
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
  /** Serve the schema's subscriptions over graphql-ws on the same port and path. */
  subscriptions?: boolean;
}

export interface SubgraphServer {
  httpServer: Server;
  schema: GraphQLSchema;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A subgraph is not public: a request must carry the router's secret or a valid access token.
 * Either way the token, when present, is verified here again.
 */
async function identify(
  headers: { authorization?: unknown; secret?: unknown; requestId?: unknown },
  verifier: TokenVerifier,
  routerSecret: string,
): Promise<RequestIdentity> {
  const viewer = await verifier.verify(typeof headers.authorization === 'string' ? headers.authorization : undefined);
  const secret = headers.secret;
  const trusted = typeof secret === 'string' && secretsEqual(secret, routerSecret);
  if (!viewer && !trusted) {
    throw unauthenticatedHttp('This subgraph only answers the router or a request with a valid access token. Query the router instead.');
  }
  const requestId = headers.requestId;
  return { viewer, trusted, requestId: typeof requestId === 'string' ? requestId : undefined };
}

const httpIdentity = (req: IncomingMessage, requestId: string) => ({
  authorization: req.headers.authorization,
  secret: req.headers[ROUTER_SECRET_HEADER],
  requestId,
});

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
  const schema = options.protect ? options.protect(built) : built;
  const log = options.logger;
  const metrics = createServiceMetrics(options.name);
  const apollo = new ApolloServer<TContext>({
    schema,
    introspection: options.mode === 'development',
    includeStacktraceInErrorResponses: false,
    // runUntilSignal closes everything in order; Apollo's own handler would re-raise the signal first.
    stopOnTerminationSignals: false,
    // Traces are for Apollo's hosted reporting, which this router does not use.
    plugins: [ApolloServerPluginInlineTraceDisabled(), metrics.graphqlPlugin()],
    formatError: createErrorFormatter((error) => log.error({ err: error }, 'internal error in resolver')),
  });
  await apollo.start();
  const httpServer = createGraphQLHttpServer<TContext>({
    service: options.name,
    apollo,
    logger: log,
    context: async (req, requestId) => options.context(await identify(httpIdentity(req, requestId), options.verifier, options.routerSecret)),
    routes: [
      healthRoute(async () => ({ service: options.name, ...(await options.health?.()) })),
      readinessRoute(() => options.readiness ?? {}),
      metrics.route(),
      ...(options.routes ?? []),
    ],
  });
  const sockets = options.subscriptions ? serveSubscriptions(httpServer, schema, options) : undefined;
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
 * graphql-ws on the HTTP server's /graphql. The token is checked once, on connect: a bad one
 * closes the socket with 4403 so that the client refreshes it and reconnects.
 */
function serveSubscriptions<TContext extends BaseContext>(httpServer: Server, schema: GraphQLSchema, options: SubgraphServerOptions<TContext>) {
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const identities = new WeakMap<object, RequestIdentity>();
  const cleanup = useServer(
    {
      schema,
      onConnect: async (ctx) => {
        try {
          const identity = await identify(socketIdentity(ctx.connectionParams, ctx.extra.request), options.verifier, options.routerSecret);
          identities.set(ctx.extra, identity);
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx) => options.context(identities.get(ctx.extra)!),
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
