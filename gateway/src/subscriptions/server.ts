import type { IncomingMessage, Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { jsonTooDeep, MAX_JSON_DEPTH, type Logger, type TokenVerifier } from '@dorandoran/service-kit';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import WebSocket, { WebSocketServer } from 'ws';
import type { AuthPolicy } from '../authorization/policy';
import { restoreRemovedFields } from '../authorization/restore';
import type { RouterConfig } from '../config';
import type { RouterContext } from '../context';
import type { OperationGuard } from '../protection/operationGuard';
import { RateLimitedError, type RateLimiter } from '../protection/rateLimits';
import { SESSION_ENDED, type Connection, type OperationState } from './connection';
import { DirectDelivery } from './directDelivery';
import { EventFetches } from './eventFetches';
import { runFederatedSubscription, SubscriptionPlanner } from './federatedSubscription';
import { withoutSuggestions } from '../errorFormatting';
import { MAX_SUBSCRIPTION_ID_LENGTH, subscribeBytes, tooManySubscriptions, tooMuchSubscriptionText } from './limits';
import { isRefusal, prepare } from './preparation';
import { SharedUpstreams } from './sharedUpstreams';
import { guardSockets, TRY_AGAIN_LATER } from './socketGuard';
import { createTokenChecks, recheckTokens } from './tokenChecks';
import { upstreamClient } from './upstreamClient';

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
  /** graphql-ws connections the router holds open to subgraphs (one per subgraph and client token). */
  upstreamConnections: number;
  /** Subscriptions the router holds open on subgraphs (one per topic: subgraph, operation, variables, token). */
  upstreamSubscriptions: number;
  /** `rest` fetches of subscription events sent to subgraphs, and asked for by subscribers' plans (the rest were shared). */
  eventFetches: { sent: number; asked: number };
}

export interface SubscriptionServer {
  stats(): SubscriptionStats;
  dispose(): Promise<void>;
}

export const DEFAULT_RECHECK_INTERVAL_MS = 2000;

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
  const fetches = new EventFetches();

  const connect = (name: string, authorization: string, interrupted: () => void) => {
    const subgraph = planner!.subgraphs.find((s) => s.name === name)!;
    return upstreamClient({ url: options.subgraphUrl(name, subgraph.url), authorization, routerSecret: options.routerSecret, interrupted });
  };
  const upstreams = new SharedUpstreams({ connect });

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

  function subscribe(args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> {
    const state = operations.get(args.contextValue as object)!;
    const schema = state.plan.planner.apiGraphQLSchema;
    subscriptions++;
    const delivery = new DirectDelivery(state.connection.socket, state.id, () => {
      subscriptions--;
      leave();
    });
    const leave = runFederatedSubscription(
      {
        plan: state.plan,
        operationName: args.operationName ?? undefined,
        variables: (args.variableValues ?? {}) as Record<string, unknown>,
        context: state.connection.context,
        dataSources,
        joinTopic: (request, subscriber) => upstreams.subscribe(request, subscriber),
        fetches,
      },
      {
        next: (result) =>
          delivery.send(state.removed.length ? JSON.stringify(restoreRemovedFields(result.result, state.removed, schema, state.document)) : result.json),
        end: () => delivery.end(),
        fail: (error) => {
          if ((error as { code?: number } | null)?.code === 4403) {
            // The subgraph refused the token (the session ended) before the router's own recheck saw it:
            // the client hears it as the router says it, not as an outage.
            state.connection.socket.close(4403, SESSION_ENDED);
          }
          options.logger.warn({ err: error instanceof Error ? error.message : error }, 'upstream subscription failed');
          delivery.end({
            errors: [
              new GraphQLError('The subscription was interrupted because a subgraph became unavailable. Subscribe again.', {
                extensions: { code: 'SERVICE_UNAVAILABLE' },
              }),
            ],
          });
        },
        interrupted: () => interrupted(state.connection),
      },
    );
    return delivery.iterator;
  }

  const { config } = options;
  const limits = config.subscriptions;
  const checkToken = createTokenChecks(options.verifier, options.logger);

  /** Refuses a subscribe over the connection's caps, or holds its message's bytes until it completes. */
  function admit(connection: Connection, running: number, id: string, payload: Parameters<typeof subscribeBytes>[0]): GraphQLError | undefined {
    if (running > limits.maxPerConnection) return tooManySubscriptions(limits.maxPerConnection);
    const tooDeep = jsonTooDeep(payload.variables, 'The variables');
    if (tooDeep) return new GraphQLError(tooDeep, { extensions: { code: 'BAD_REQUEST', limit: MAX_JSON_DEPTH } });
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
        connections.set(ctx.extra, { context: { viewer: checked.viewer, requestId, clientIp, browserSession: null }, socket: ctx.extra.socket, held: new Map() });
        // Nothing reads the upgrade request after this: graphql-ws would otherwise keep it (its
        // headers, raw and parsed) for as long as the connection lives.
        (ctx.extra as { request?: IncomingMessage }).request = undefined;
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
            ? await prepare(planner, payload, id, connection, options, operations)
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
      // graphql-ws returns the socket's subscriptions, which leaves their topics.
      onClose: (ctx) => {
        connections.delete(ctx.extra);
      },
    },
    wss,
  );

  const stopRechecks = recheckTokens(connections, checkToken, options.recheckIntervalMs ?? DEFAULT_RECHECK_INTERVAL_MS);

  return {
    stats: () => ({
      connections: connections.size,
      subscriptions,
      upstreamConnections: upstreams.socketCount,
      upstreamSubscriptions: upstreams.topicCount,
      eventFetches: fetches.counts,
    }),
    async dispose() {
      stopRechecks();
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
