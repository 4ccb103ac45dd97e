import type { IncomingMessage, Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { mapAsyncIterator, ROUTER_SECRET_HEADER, type Logger, type TokenVerifier } from '@dorandoran/service-kit';
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
import type { RouterConfig } from '../config';
import type { RouterContext } from '../context';
import { runFederatedSubscription, SubscriptionPlanner, type SubscriptionPlan } from '../federatedSubscription';
import type { OperationGuard } from '../protection/operationGuard';
import { tokenLimitError } from '../protection/operationLimits';
import { RateLimitedError, type RateLimiter } from '../protection/rateLimits';
import { filterOperation, restoreRemovedFields, type AuthPolicy, type RemovedField } from './authDirectives';
import { guardSockets, TRY_AGAIN_LATER } from './socketGuard';
import { MAX_SUBSCRIPTION_ID_LENGTH, subscribeBytes, tooManySubscriptions, tooMuchSubscriptionText, withoutSuggestions } from './subscriptionLimits';
import { createTokenChecks } from './tokenChecks';

/** The close reason for 4403: the token is no longer good. */
const SESSION_ENDED = 'Forbidden: the session ended or the token expired; sign in again';
/** The close reason for 1013 at connect: the token may be fine, but cannot be checked now. */
const CHECK_UNAVAILABLE = 'Try again later: your token cannot be checked right now';
/** Closes a connection over its IP's budget (as HTTP 429 would answer). */
const TOO_MANY_REQUESTS = 4429;
/** graphql-ws's own close code for a message that breaks the protocol. */
const BAD_REQUEST = 4400;
/** Closes a client's socket whose upstream feed was interrupted: retryable, unlike an error. */
const SERVICE_RESTART = 1012;
const SUBGRAPH_RESTARTED = 'A subgraph restarted and events may have been missed; reconnect and fetch what you missed';
/** A socket that has not sent connection_init by then is closed with 4408. */
const CONNECTION_INIT_TIMEOUT_MS = 3000;

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
  /** The mode (production hides suggestions), the frame bound (as for HTTP bodies) and what a client may hold open. */
  config: Pick<RouterConfig, 'mode' | 'maxBodyBytes' | 'subscriptions'>;
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
  /** Bytes each subscription (by id) keeps alive of its subscribe message, from subscribe to complete. */
  held: Map<string, number>;
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
    let wasConnected = false;
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
      // A refused token (4403) will be refused again; anything else may be a subgraph starting. A
      // feed that was connected is not resumed: its client is told instead (interrupted, below).
      shouldRetry: (event) => !wasConnected && (event as { code?: number }).code !== 4403,
      on: {
        // Connected only on a retry: the subscriptions waited on a subgraph that was down, and
        // events sent once it was back but before this moment reached nobody.
        connected: (_socket, _payload, wasRetry) => (wasRetry ? interrupted(connection) : void (wasConnected = true)),
        // A socket error (a killed subgraph resets the connection) comes before its close, and the
        // subscriptions hear it next: the client must be told first, or it would take their error
        // for the feed's end.
        error: () => wasConnected && interrupted(connection),
        closed: (event) => {
          const code = (event as { code?: number }).code;
          if (wasConnected && code !== 1000 && code !== 4403) interrupted(connection);
        },
      },
    });
    connection.upstreams.set(name, client);
    return client;
  };

  /**
   * An upstream feed that was not continuous — it dropped after connecting (a subgraph restart),
   * or it connected only after retries — lost the events sent meanwhile, and resubscribing
   * quietly would hide that. So the client's socket is closed with 1012 (service restart), which
   * graphql-ws clients retry: they resubscribe and, knowing they were cut off, fetch what they
   * missed (the web app does). An upstream that never connects ends its subscriptions with
   * SERVICE_UNAVAILABLE after its retries.
   */
  function interrupted(connection: Connection) {
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.close(SERVICE_RESTART, SUBGRAPH_RESTARTED);
  }

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

  const { config } = options;
  const limits = config.subscriptions;
  const checkToken = createTokenChecks(options.verifier, options.logger);

  /** Refuses a subscribe over the connection's caps, or holds its message's bytes until it completes. */
  function admit(connection: Connection, running: number, id: string, payload: Parameters<typeof subscribeBytes>[0]): GraphQLError | undefined {
    if (running > limits.maxPerConnection) return tooManySubscriptions(limits.maxPerConnection);
    const bytes = subscribeBytes(payload);
    const held = [...connection.held.values()].reduce((sum, size) => sum + size, 0);
    if (held + bytes > config.maxBodyBytes) return tooMuchSubscriptionText(config.maxBodyBytes);
    connection.held.set(id, bytes);
    return undefined;
  }

  /**
   * A refused subscribe spends one request of the IP's budget, as a refused HTTP request does:
   * a stream of bad subscribes on one socket is not free. Past the budget the socket is closed.
   */
  async function spendRefusal(connection: Connection) {
    try {
      await options.rateLimiter.consume('ip', connection.context.clientIp);
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      connection.socket.close(TOO_MANY_REQUESTS, `Too many requests: retry after ${error.retryAfterSeconds} s`);
    }
  }

  const wss = new WebSocketServer({ server: options.httpServer, path: options.path ?? '/graphql', maxPayload: config.maxBodyBytes });
  guardSockets(wss, { maxPerIp: limits.maxConnectionsPerIp, clientIp: options.clientIp });
  const cleanup = useServer(
    {
      schema: () => planner!.apiGraphQLSchema,
      connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
      isProd: config.mode === 'production',
      onConnect: async (ctx) => {
        const clientIp = options.clientIp(ctx.extra.request);
        try {
          await options.rateLimiter.consume('ip', clientIp);
        } catch (error) {
          if (!(error instanceof RateLimitedError)) throw error;
          ctx.extra.socket.close(TOO_MANY_REQUESTS, `Too many requests: retry after ${error.retryAfterSeconds} s`);
          return false;
        }
        const checked = await checkToken(tokenOf(ctx.connectionParams, ctx.extra.request));
        if (checked === 'refused') ctx.extra.socket.close(4403, SESSION_ENDED);
        // Not 4403, which tells the client to sign in again: the token may be fine.
        if (checked === 'unavailable') ctx.extra.socket.close(TRY_AGAIN_LATER, CHECK_UNAVAILABLE);
        if (typeof checked === 'string') return false;
        const requestId = randomUUID();
        connections.set(ctx.extra, { context: { viewer: checked.viewer, requestId, clientIp, browserSession: null }, socket: ctx.extra.socket, upstreams: new Map(), held: new Map() });
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const connection = connections.get(ctx.extra)!;
        if (id.length > MAX_SUBSCRIPTION_ID_LENGTH) {
          ctx.extra.socket.close(BAD_REQUEST, `Bad request: subscription ids are at most ${MAX_SUBSCRIPTION_ID_LENGTH} characters`);
          return [new GraphQLError('The subscription id is too long.')];
        }
        // graphql-ws has entered this id already: the count includes it.
        const overLimit = admit(connection, Object.keys(ctx.subscriptions).length, id, payload);
        const prepared = overLimit
          ? [overLimit]
          : planner
            ? await prepare(planner, payload, connection, options, operations)
            : [new GraphQLError('The router is still loading its supergraph; try again.', { extensions: { code: 'SERVICE_UNAVAILABLE' } })];
        if (isRefusal(prepared)) {
          connection.held.delete(id);
          await spendRefusal(connection);
        }
        return prepared;
      },
      subscribe,
      onComplete: (ctx, id) => {
        connections.get(ctx.extra)?.held.delete(id);
      },
      onError: (_ctx, _id, _payload, errors) => (config.mode === 'production' ? errors.map((error) => withoutSuggestions(error.toJSON())) : undefined),
      onClose: (ctx) => {
        const connection = connections.get(ctx.extra);
        connections.delete(ctx.extra);
        // A client still retrying a subgraph that is down rejects its dispose with the close event.
        for (const client of connection?.upstreams.values() ?? []) void Promise.resolve(client.dispose()).catch(() => undefined);
        connection?.upstreams.clear();
      },
    },
    wss,
  );

  /**
   * Every open connection's token again: a refused one closes the connection with 4403; one that
   * cannot be checked now is kept and checked next round. A round waits for its slowest check
   * (a Redis in trouble), and the next starts only after it.
   */
  async function recheckConnections() {
    await Promise.all(
      [...connections.values()].map(async (connection) => {
        const viewer = connection.context.viewer;
        if (viewer && (await checkToken(viewer.authorization)) === 'refused') connection.socket.close(4403, SESSION_ENDED);
      }),
    );
  }
  let rechecking = false;
  const recheck = setInterval(() => {
    if (rechecking) return;
    rechecking = true;
    void recheckConnections().finally(() => (rechecking = false));
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

/** The token from `connectionParams.authorization`, or else the upgrade request's header. */
function tokenOf(params: Record<string, unknown> | undefined, req: IncomingMessage): string | undefined {
  const authorization = params?.authorization ?? req.headers.authorization;
  return typeof authorization === 'string' ? authorization : undefined;
}

const isRefusal = (prepared: ExecutionArgs | readonly GraphQLError[]): prepared is readonly GraphQLError[] => Array.isArray(prepared);

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
