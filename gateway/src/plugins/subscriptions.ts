import type { IncomingMessage, Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { mapAsyncIterator, ROUTER_SECRET_HEADER, type Logger, type TokenVerifier, type Viewer } from '@dorandoran/service-kit';
import { createClient, type Client } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import {
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import WebSocket, { WebSocketServer } from 'ws';
import type { RouterContext } from '../context';
import { runFederatedSubscription, SubscriptionPlanner, type SubscriptionPlan } from '../federatedSubscription';
import type { OperationGuard } from '../protection/operationGuard';
import { tokenLimitError } from '../protection/operationLimits';
import { RateLimitedError, type RateLimiter } from '../protection/rateLimits';
import { filterOperation, restoreRemovedFields, type AuthPolicy, type RemovedField } from './authDirectives';

/** The close reason for 4403: the token is no longer good. */
const SESSION_ENDED = 'Forbidden: the session ended or the token expired; sign in again';
/** Closes a connection over its IP's budget (as HTTP 429 would answer). */
const TOO_MANY_REQUESTS = 4429;

export interface SubscriptionServerOptions {
  httpServer: Server;
  /** @default '/graphql' */
  path?: string;
  /** The gateway whose supergraph subscriptions are planned against (followed through reloads). */
  gateway: GatewayInterface;
  policy: () => AuthPolicy;
  verifier: TokenVerifier;
  /** Makes the data source for one subgraph, as the gateway's own. */
  dataSource(name: string, url: string): GraphQLDataSource<RouterContext>;
  /** Where each subgraph is, after overrides. */
  subgraphUrl(name: string, url: string): string;
  routerSecret: string;
  logger: Logger;
  /** Each subscribe passes what an HTTP operation passes: safelist, limits, budgets. */
  guard: OperationGuard;
  /** A connection spends one request of its IP's budget. */
  rateLimiter: RateLimiter;
  clientIp(req: IncomingMessage): string;
  maxTokens: number;
  /**
   * How often open connections are checked for an expired or revoked token; such a connection is
   * closed with 4403, and its subscriptions end.
   * @default 2000
   */
  recheckIntervalMs?: number;
}

export interface SubscriptionStats {
  connections: number;
  /** Client subscriptions running now. */
  subscriptions: number;
  /** graphql-ws connections the router holds open to subgraphs (one per client connection and subgraph). */
  upstreamConnections: number;
  /** Subscriptions the router holds open on subgraphs. */
  upstreamSubscriptions: number;
}

export interface SubscriptionServer {
  stats(): SubscriptionStats;
  dispose(): Promise<void>;
}

interface Connection {
  context: RouterContext;
  socket: WebSocket;
  /** One graphql-ws client per subgraph, shared by this connection's subscriptions. */
  upstreams: Map<string, Client>;
}

interface OperationState {
  connection: Connection;
  /** The operation as the client sent it, to put back the fields the auth directives removed. */
  document: DocumentNode;
  removed: RemovedField[];
  plan: SubscriptionPlan;
}

export const DEFAULT_RECHECK_INTERVAL_MS = 2000;

const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/**
 * graphql-ws beside HTTP on the router's port. Each subscription is checked like a query
 * (token at connect, auth directives per operation), planned against the supergraph, and run as
 * a federated subscription: primary on the owning subgraph over graphql-ws, `rest` per event.
 */
export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  let planner: SubscriptionPlanner | undefined;
  let dataSources: Record<string, GraphQLDataSource<RouterContext>> = {};
  const unsubscribe = options.gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    planner = new SubscriptionPlanner(coreSupergraphSdl, apiSchema);
    dataSources = Object.fromEntries(planner.subgraphs.map(({ name, url }) => [name, options.dataSource(name, url)]));
  });

  const connections = new Map<object, Connection>();
  const operations = new WeakMap<object, OperationState>();
  let subscriptions = 0;
  let upstreamSubscriptions = 0;

  const upstreamFor = (connection: Connection) => (name: string): Client => {
    let client = connection.upstreams.get(name);
    if (client) return client;
    const subgraph = planner!.subgraphs.find((s) => s.name === name)!;
    client = createClient({
      url: wsUrl(options.subgraphUrl(name, subgraph.url)),
      webSocketImpl: WebSocket,
      connectionParams: {
        authorization: connection.context.viewer?.authorization,
        [ROUTER_SECRET_HEADER]: options.routerSecret,
        'x-request-id': connection.context.requestId,
      },
      lazy: true,
      lazyCloseTimeout: 0,
      retryAttempts: 3,
      // A refused token (4403) will be refused again; anything else may be a subgraph restart.
      shouldRetry: (event) => !(event as { code?: number }).code || (event as { code: number }).code !== 4403,
    });
    connection.upstreams.set(name, client);
    return client;
  };

  /** Counts the subscriptions open on subgraphs, from subscribe to complete. */
  const counted = (client: Client): Pick<Client, 'iterate'> => ({
    iterate<Data, Extensions>(payload: Parameters<Client['iterate']>[0]) {
      upstreamSubscriptions++;
      return mapAsyncIterator(client.iterate<Data, Extensions>(payload), { map: (event) => event, onEnd: () => upstreamSubscriptions-- });
    },
  });

  function subscribe(args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> {
    const state = operations.get(args.contextValue as object)!;
    const schema = state.plan.planner.apiGraphQLSchema;
    subscriptions++;
    const events = runFederatedSubscription({
      plan: state.plan,
      operationName: args.operationName ?? undefined,
      variables: (args.variableValues ?? {}) as Record<string, unknown>,
      context: state.connection.context,
      dataSources,
      upstream: (name) => counted(upstreamFor(state.connection)(name)),
    });
    return mapAsyncIterator(events, {
      map: (result) => (state.removed.length ? (restoreRemovedFields(result, state.removed, schema, state.document) as ExecutionResult) : result),
      lastValueOnError: (error) => {
        if ((error as { code?: number } | null)?.code === 4403) {
          // The subgraph refused the token (the session ended) before the router's own recheck saw it:
          // the client hears it as the router says it, not as an outage.
          state.connection.socket.close(4403, SESSION_ENDED);
        }
        options.logger.warn({ err: error instanceof Error ? error.message : error }, 'upstream subscription failed');
        return {
          errors: [
            new GraphQLError('The subscription was interrupted because a subgraph became unavailable. Subscribe again.', {
              extensions: { code: 'SERVICE_UNAVAILABLE' },
            }),
          ],
        };
      },
      onEnd: () => {
        subscriptions--;
      },
    });
  }

  const wss = new WebSocketServer({ server: options.httpServer, path: options.path ?? '/graphql' });
  const cleanup = useServer(
    {
      schema: () => planner!.apiGraphQLSchema,
      onConnect: async (ctx) => {
        const clientIp = options.clientIp(ctx.extra.request);
        try {
          await options.rateLimiter.consume('ip', clientIp);
        } catch (error) {
          if (!(error instanceof RateLimitedError)) throw error;
          ctx.extra.socket.close(TOO_MANY_REQUESTS, `Too many requests: retry after ${error.retryAfterSeconds} s`);
          return false;
        }
        const viewer = await identify(ctx.connectionParams, ctx.extra.request, options.verifier);
        if (viewer === false) return false;
        const requestId = randomUUID();
        connections.set(ctx.extra, { context: { viewer, requestId, clientIp }, socket: ctx.extra.socket, upstreams: new Map() });
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const connection = connections.get(ctx.extra)!;
        if (!planner) return [new GraphQLError('The router is still loading its supergraph; try again.', { extensions: { code: 'SERVICE_UNAVAILABLE' } })];
        return prepare(planner, payload, connection, options, operations);
      },
      subscribe,
      onClose: (ctx) => {
        const connection = connections.get(ctx.extra);
        connections.delete(ctx.extra);
        for (const client of connection?.upstreams.values() ?? []) void client.dispose();
        connection?.upstreams.clear();
      },
    },
    wss,
  );

  const recheck = setInterval(async () => {
    for (const connection of connections.values()) {
      const viewer = connection.context.viewer;
      if (!viewer) continue;
      try {
        await options.verifier.verify(viewer.authorization);
      } catch {
        connection.socket.close(4403, SESSION_ENDED);
      }
    }
  }, options.recheckIntervalMs ?? DEFAULT_RECHECK_INTERVAL_MS);
  recheck.unref();

  return {
    stats: () => ({
      connections: connections.size,
      subscriptions,
      upstreamConnections: [...connections.values()].reduce((sum, connection) => sum + connection.upstreams.size, 0),
      upstreamSubscriptions,
    }),
    async dispose() {
      clearInterval(recheck);
      unsubscribe();
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The token from `connectionParams.authorization` or the upgrade request; false when it is bad. */
async function identify(params: Record<string, unknown> | undefined, req: IncomingMessage, verifier: TokenVerifier): Promise<Viewer | null | false> {
  const authorization = params?.authorization ?? req.headers.authorization;
  try {
    return await verifier.verify(typeof authorization === 'string' ? authorization : undefined);
  } catch {
    return false;
  }
}

/** Parses, validates, guards (limits, budgets) and filters one subscribe message; errors fail this operation only. */
async function prepare(
  planner: SubscriptionPlanner,
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  connection: Connection,
  options: Pick<SubscriptionServerOptions, 'policy' | 'guard' | 'maxTokens'>,
  operations: WeakMap<object, OperationState>,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const schema = planner.apiGraphQLSchema;
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: options.maxTokens });
  } catch (error) {
    const message = (error as Error).message;
    const overLimit = tokenLimitError(message, options.maxTokens);
    return [overLimit ? withoutHttp(overLimit) : new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
  }
  const invalid = validate(schema, document);
  if (invalid.length) return invalid.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) return [new GraphQLError('Name the operation to run with operationName.', { extensions: { code: 'BAD_REQUEST' } })];
  if (operation.operation !== 'subscription') {
    return [new GraphQLError('Only subscriptions run over WebSocket; send queries and mutations over HTTP.', { extensions: { code: 'BAD_REQUEST' } })];
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
  if (coerced.errors) return coerced.errors.map((error) => new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT' } }));
  try {
    await options.guard.check({ schema, document, operation, source: payload.query, variables: payload.variables ?? undefined, context: connection.context });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return [withoutHttp(error)];
  }
  const filtered = filterOperation(schema, document, payload.operationName, options.policy(), connection.context.viewer);
  if (filtered.nothingLeft) {
    return restoreRemovedFields({ data: {} }, filtered.removed, schema, document).errors.map((error) => {
      const { message, path, extensions } = error as GraphQLError;
      return new GraphQLError(message, { path, extensions });
    });
  }
  let plan: SubscriptionPlan;
  try {
    plan = planner.plan(filtered.document, payload.operationName ?? undefined);
  } catch (error) {
    return [new GraphQLError(`The subscription could not be planned: ${(error as Error).message}`, { extensions: { code: 'BAD_REQUEST' } })];
  }
  const contextValue = {};
  operations.set(contextValue, { connection, document, removed: filtered.removed, plan });
  return {
    schema,
    document: filtered.document,
    operationName: payload.operationName,
    variableValues: coerced.coerced,
    contextValue,
  };
}

/** The HTTP status an error carries for HTTP means nothing in a graphql-ws message. */
function withoutHttp(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { extensions });
}
