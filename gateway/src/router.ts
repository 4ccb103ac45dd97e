import type { Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  closeServer,
  createErrorFormatter,
  createGraphQLHttpServer,
  healthRoute,
  listen,
  type Logger,
  type TokenVerifier,
} from '@dorandoran/service-kit';
import type { RouterConfig } from './config';
import { createRouterContext, type RouterContext } from './context';
import { enforceAuthDirectives } from './plugins/enforceAuthDirectives';
import { createHttpStatusPlugin } from './plugins/httpStatus';
import { AuthenticatedDataSource } from './plugins/subgraphAuth';
import { createSubscriptionServer, type SubscriptionServer } from './plugins/subscriptions';
import { fileSupergraph } from './supergraph';

export interface RouterDeps {
  config: RouterConfig;
  verifier: TokenVerifier;
  routerSecret: string;
  logger: Logger;
}

export interface Router {
  httpServer: Server;
  subscriptions: SubscriptionServer;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/** The router: @apollo/gateway over the committed supergraph, behind token verification and auth directives. */
export async function createRouter({ config, verifier, routerSecret, logger }: RouterDeps): Promise<Router> {
  const supergraph = fileSupergraph(config.supergraphPath, config.supergraphPollMs, logger);
  const subgraphUrl = (name: string, url: string) => config.subgraphUrls[name] ?? url;
  const dataSource = (name: string, url: string) =>
    new AuthenticatedDataSource({ name, url: subgraphUrl(name, url), routerSecret, timeoutMs: config.subgraphTimeoutMs });
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.manager,
    logger,
    buildService: ({ name, url }) => dataSource(name, url!),
  });
  const apollo = new ApolloServer<RouterContext>({
    gateway: enforceAuthDirectives(gateway, supergraph.policy),
    introspection: config.mode === 'development',
    includeStacktraceInErrorResponses: false,
    // runUntilSignal closes everything in order; Apollo's own handler would re-raise the signal first.
    stopOnTerminationSignals: false,
    plugins: [createHttpStatusPlugin()],
    formatError: createErrorFormatter((error) => logger.error({ err: error }, 'internal error')),
  });
  let subscriptions: SubscriptionServer | undefined;
  const httpServer = createGraphQLHttpServer<RouterContext>({
    apollo,
    logger,
    context: (req) => createRouterContext(req, verifier),
    routes: [healthRoute(() => ({ service: 'router', subscriptions: subscriptions?.stats() }))],
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
  });
  await apollo.start();
  return {
    httpServer,
    subscriptions,
    listen: (port, host) => listen(httpServer, port, host),
    async close() {
      await subscriptions.dispose();
      await closeServer(httpServer);
      await apollo.stop();
    },
  };
}
