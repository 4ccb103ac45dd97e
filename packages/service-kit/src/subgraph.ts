import type { IncomingMessage, Server } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { createErrorFormatter } from './errors';
import { closeServer, createGraphQLHttpServer, healthRoute, listen, type HttpRoute } from './http';
import { unauthenticatedHttp, type TokenVerifier, type Viewer } from './identity';
import type { Logger } from './logger';
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
async function identify(req: IncomingMessage, verifier: TokenVerifier, routerSecret: string): Promise<RequestIdentity> {
  const viewer = await verifier.verify(req.headers.authorization);
  const secret = req.headers[ROUTER_SECRET_HEADER];
  const trusted = typeof secret === 'string' && secretsEqual(secret, routerSecret);
  if (!viewer && !trusted) {
    throw unauthenticatedHttp('This subgraph only answers the router or a request with a valid access token. Query the router instead.');
  }
  const requestId = req.headers['x-request-id'];
  return { viewer, trusted, requestId: typeof requestId === 'string' ? requestId : undefined };
}

export async function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<SubgraphServer> {
  const built = buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  const schema = options.protect ? options.protect(built) : built;
  const log = options.logger;
  const apollo = new ApolloServer<TContext>({
    schema,
    introspection: options.mode === 'development',
    includeStacktraceInErrorResponses: false,
    // runUntilSignal closes everything in order; Apollo's own handler would re-raise the signal first.
    stopOnTerminationSignals: false,
    // Traces are for Apollo's hosted reporting, which this router does not use.
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    formatError: createErrorFormatter((error) => log.error({ err: error }, 'internal error in resolver')),
  });
  await apollo.start();
  const httpServer = createGraphQLHttpServer<TContext>({
    apollo,
    logger: log,
    context: async (req) => options.context(await identify(req, options.verifier, options.routerSecret)),
    routes: [healthRoute(async () => ({ service: options.name, ...(await options.health?.()) })), ...(options.routes ?? [])],
  });
  return {
    httpServer,
    schema,
    listen: (port, host) => listen(httpServer, port, host),
    async close() {
      await closeServer(httpServer);
      await apollo.stop();
    },
  };
}
