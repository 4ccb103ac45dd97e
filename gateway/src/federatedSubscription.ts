import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { OperationContext } from '@apollo/gateway/dist/operationContext';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan, type SubscriptionNode } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { Client } from 'graphql-ws';
import { GraphQLError, type DocumentNode, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import { mapAsyncIterator } from '@dorandoran/service-kit';
import type { RouterContext } from './context';

/**
 * Plans subscriptions against the current supergraph, as @apollo/gateway plans queries. A
 * subscription plan has a `primary` fetch (the subscription itself, on the owning subgraph) and
 * `rest` (fields of each event that other subgraphs own).
 */
export class SubscriptionPlanner {
  readonly supergraphSchema: GraphQLSchema;
  readonly apiSchema: Schema;
  readonly subgraphs: readonly { name: string; url: string }[];
  private readonly planner: QueryPlanner;

  constructor(supergraphSdl: string, readonly apiGraphQLSchema: GraphQLSchema) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    this.subgraphs = supergraph.subgraphsMetadata();
    this.planner = new QueryPlanner(supergraph);
  }

  plan(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const operationContext = buildOperationContext({ schema: this.apiGraphQLSchema, operationDocument: document, operationName });
    const queryPlan = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
    if (queryPlan.node?.kind !== 'Subscription') throw new Error('The operation did not plan as a subscription.');
    return { planner: this, operationContext, node: queryPlan.node as SubscriptionNode };
  }
}

export interface SubscriptionPlan {
  planner: SubscriptionPlanner;
  operationContext: OperationContext;
  node: SubscriptionNode;
}

export interface RunOptions {
  plan: SubscriptionPlan;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  context: RouterContext;
  /** The data sources of the router's subgraphs, for the `rest` fetches. */
  dataSources: Record<string, GraphQLDataSource<RouterContext>>;
  /** An upstream graphql-ws client to the named subgraph (shared per client connection). */
  upstream(subgraph: string): Pick<Client, 'iterate'>;
}

/**
 * Runs one federated subscription: subscribes to the primary fetch over graphql-ws, and for each
 * event runs the plan's `rest` with @apollo/gateway's executeQueryPlan, the primary's data source
 * answering with the event. `return()` completes the upstream subscription at once.
 */
export function runFederatedSubscription(options: RunOptions): AsyncIterableIterator<ExecutionResult> {
  const { node } = options.plan;
  const primary = node.primary;
  const events = options.upstream(primary.serviceName).iterate<Record<string, unknown>, Record<string, unknown>>({
    query: primary.operation,
    operationName: primary.operationName,
    variables: pick(options.variables, primary.variableUsages ?? []),
  });
  return mapAsyncIterator(events, {
    map: (event): Promise<ExecutionResult> | ExecutionResult =>
      event.data
        ? resolveEvent(options, primary, node.rest, event)
        : { errors: (event.errors ?? []).map((error) => new GraphQLError(error.message, { extensions: error.extensions })) },
  });
}

function resolveEvent(
  options: RunOptions,
  primary: FetchNode,
  rest: PlanNode | undefined,
  event: FormattedExecutionResult,
): Promise<ExecutionResult> {
  const upstreamSource = options.dataSources[primary.serviceName];
  // The event is the primary fetch's answer; any other fetch to that subgraph goes out as usual.
  const eventSource: GraphQLDataSource<RouterContext> = {
    process: (request) =>
      request.request.query === primary.operation
        ? Promise.resolve({ data: event.data, errors: event.errors ? [...event.errors] : undefined } as never)
        : upstreamSource.process(request),
  };
  const queryPlan: QueryPlan = { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary };
  const requestContext = {
    request: { variables: options.variables, operationName: options.operationName },
    context: options.context,
    metrics: {},
    logger: console,
  } as unknown as GatewayGraphQLRequestContext;
  return executeQueryPlan(
    queryPlan,
    { ...options.dataSources, [primary.serviceName]: eventSource },
    requestContext,
    options.plan.operationContext,
    options.plan.planner.supergraphSchema,
    options.plan.planner.apiSchema,
  );
}

const pick = (variables: Record<string, unknown>, names: readonly string[]) =>
  Object.fromEntries(names.filter((name) => name in variables).map((name) => [name, variables[name]]));
