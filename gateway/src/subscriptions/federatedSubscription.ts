import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { OperationContext } from '@apollo/gateway/dist/operationContext';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan, type SubscriptionNode } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  print,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { RouterContext } from '../context';
import type { EventFetches } from './eventFetches';
import { asksViewerIndependentOnly } from '../viewerIndependence';
import type { TopicSubscriber, UpstreamEvent, UpstreamRequest } from './sharedUpstreams';

/** Distinct subscription operations whose plans are kept; past it the oldest is planned again when asked. */
const MAX_PLANS = 1000;

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
  private readonly plans = new Map<string, SubscriptionPlan>();

  constructor(supergraphSdl: string, readonly apiGraphQLSchema: GraphQLSchema) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    this.subgraphs = supergraph.subgraphsMetadata();
    this.planner = new QueryPlanner(supergraph);
  }

  /**
   * Plans are kept per operation text (after the auth filter) and name: thousands of clients
   * subscribing with the app's one operation hold one plan, not one each.
   */
  plan(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const key = `${operationName ?? ''}\n${print(document)}`;
    const known = this.plans.get(key);
    if (known) return known;
    const plan = this.build(document, operationName);
    if (this.plans.size >= MAX_PLANS) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(key, plan);
    return plan;
  }

  private build(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const operationContext = buildOperationContext({ schema: this.apiGraphQLSchema, operationDocument: document, operationName });
    const queryPlan = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
    if (queryPlan.node?.kind !== 'Subscription') throw new Error('The operation did not plan as a subscription.');
    const node = queryPlan.node as SubscriptionNode;
    const viewerIndependent = new Set(fetchesOf(node.rest).filter((fetch) => asksViewerIndependentOnly(fetch.operation, this.supergraphSchema)).map((fetch) => fetch.operation));
    return { planner: this, document, operationContext, node, viewerIndependentFetches: viewerIndependent };
  }
}

export interface SubscriptionPlan {
  planner: SubscriptionPlanner;
  /**
   * The (filtered) operation it was planned from: any other with the same text and name is the same
   * operation, so its subscribers run this one and keep no copy of their own.
   */
  document: DocumentNode;
  operationContext: OperationContext;
  node: SubscriptionNode;
  /** The operations of the `rest` fetches that ask only for viewer-independent fields. */
  viewerIndependentFetches: ReadonlySet<string>;
}

export interface RunOptions {
  plan: SubscriptionPlan;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  context: RouterContext;
  /** The data sources of the router's subgraphs, for the `rest` fetches. */
  dataSources: Record<string, GraphQLDataSource<RouterContext>>;
  /** Joins the primary's topic (an upstream subscription, shared by all who ask for the same one); returns the leave. */
  joinTopic(request: UpstreamRequest, subscriber: TopicSubscriber): () => void;
  /** Where the `rest` fetches of one event are shared by its subscribers. */
  fetches: EventFetches;
}

/** One event's result for a subscription, serialized at most once however many subscribers send it. */
export class EventResult {
  private serialized?: string;

  constructor(readonly result: ExecutionResult) {}

  /** The result as JSON (a GraphQLError serializes as its toJSON). */
  get json(): string {
    return (this.serialized ??= JSON.stringify(this.result));
  }
}

/**
 * An event's result while it is resolved, shared by the subscribers who wait for it: each is
 * called once it settles (a call each, not a promise each: 10,000 subscribers of one event).
 */
class PendingResult {
  outcome?: { result: EventResult } | { error: unknown };
  private waiting: (() => void)[] = [];

  constructor(resolving: Promise<ExecutionResult> | ExecutionResult) {
    if (!(resolving instanceof Promise)) this.outcome = { result: new EventResult(resolving) };
    else resolving.then((result) => this.settle({ result: new EventResult(result) }), (error: unknown) => this.settle({ error }));
  }

  onSettled(waiter: () => void): void {
    if (this.outcome) waiter();
    else this.waiting.push(waiter);
  }

  private settle(outcome: NonNullable<PendingResult['outcome']>) {
    this.outcome = outcome;
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) waiter();
  }
}

/** Where one federated subscription's results go, in the order of its events. */
export interface SubscriptionSink {
  next(result: EventResult): void;
  /** The primary subscription completed. */
  end(): void;
  /** The primary subscription failed, or an event could not be resolved; nothing follows. */
  fail(error: unknown): void;
  /** The primary's upstream socket was not continuous: events may have been lost. */
  interrupted(): void;
}

/**
 * Runs one federated subscription: joins the primary fetch's topic, and for each event runs the
 * plan's `rest` with @apollo/gateway's executeQueryPlan, the primary's data source answering with
 * the event and every other fetch going through the event's shared fetches. Results reach the sink
 * in the order of the events. Returns the leave: the sink hears nothing after it.
 */
export function runFederatedSubscription(options: RunOptions, sink: SubscriptionSink): () => void {
  const { node } = options.plan;
  const primary = node.primary;
  // Computed once, not per event: each event looks its shared result up by it.
  const variablesKey = JSON.stringify(options.variables);
  let left = false;
  let finished = false;
  // Each event's result is resolved at once (shared with the topic's other subscribers), but reaches
  // the sink only after the previous event's has: the steps wait in order, the first unsettled one
  // holding the rest back.
  const steps: (PendingResult | { end: true } | { fail: unknown })[] = [];
  const finish = (tell: () => void) => {
    steps.length = 0;
    if (left || finished) return;
    finished = true;
    leave();
    tell();
  };
  const drain = (): void => {
    while (steps.length) {
      const step = steps[0];
      if (!(step instanceof PendingResult)) return finish(() => ('fail' in step ? sink.fail(step.fail) : sink.end()));
      const outcome = step.outcome;
      if (!outcome) return step.onSettled(drain);
      steps.shift();
      if ('error' in outcome) return finish(() => sink.fail(outcome.error));
      if (left || finished) continue;
      try {
        sink.next(outcome.result);
      } catch (error) {
        // Thrown here it would stop the event's other subscribers (and be an unhandled rejection):
        // this subscription ends with it instead.
        return finish(() => sink.fail(error));
      }
    }
  };
  const enqueue = (step: (typeof steps)[number]) => {
    if (left || finished) return;
    steps.push(step);
    if (steps.length === 1) drain();
  };
  const leave = options.joinTopic(
    {
      subgraph: primary.serviceName,
      authorization: options.context.viewer?.authorization ?? '',
      query: primary.operation,
      operationName: primary.operationName,
      variables: pick(options.variables, primary.variableUsages ?? []),
    },
    {
      event: (event) =>
        enqueue(
          event.data
            ? sharedResult(options.plan, variablesKey, event, () => resolveEvent(options, primary, node.rest, event))
            : new PendingResult({ errors: (event.errors ?? []).map((error) => new GraphQLError(error.message, { extensions: error.extensions })) }),
        ),
      end: () => enqueue({ end: true }),
      fail: (error) => enqueue({ fail: error }),
      interrupted: () => {
        if (!left && !finished) sink.interrupted();
      },
    },
  );
  return () => {
    if (left) return;
    left = true;
    steps.length = 0;
    leave();
  };
}

/** Each event's results, by plan and variables: see sharedResult. */
const resultsByEvent = new WeakMap<object, Map<SubscriptionPlan, Map<string, PendingResult>>>();

/**
 * An event belongs to one topic, whose subscribers all present one token: those with the same
 * plan and variables would get the same result, so it is computed (and serialized) once for them;
 * the auth filter's restore copies before it changes anything.
 */
function sharedResult(plan: SubscriptionPlan, variablesKey: string, event: UpstreamEvent, resolve: () => Promise<ExecutionResult>): PendingResult {
  let byPlan = resultsByEvent.get(event);
  if (!byPlan) resultsByEvent.set(event, (byPlan = new Map()));
  let byVariables = byPlan.get(plan);
  if (!byVariables) byPlan.set(plan, (byVariables = new Map()));
  let result = byVariables.get(variablesKey);
  if (!result) byVariables.set(variablesKey, (result = new PendingResult(resolve())));
  return result;
}

function resolveEvent(
  options: RunOptions,
  primary: FetchNode,
  rest: PlanNode | undefined,
  event: UpstreamEvent,
): Promise<ExecutionResult> {
  const { plan, context } = options;
  // A viewer-independent fetch goes without the viewer's token: what it answers, anyone may see.
  const anonymous: RouterContext = { ...context, viewer: null };
  const shared = (subgraph: string, source: GraphQLDataSource<RouterContext>): GraphQLDataSource<RouterContext> => ({
    process: (request) => {
      const query = request.request.query!;
      const viewerIndependent = plan.viewerIndependentFetches.has(query);
      const fetch = { subgraph, query, variables: request.request.variables, viewerIndependent, authorization: context.viewer?.authorization ?? '' };
      return options.fetches.fetch(event, fetch, () => source.process(viewerIndependent ? { ...request, context: anonymous } : request));
    },
  });
  const dataSources = Object.fromEntries(Object.entries(options.dataSources).map(([name, source]) => [name, shared(name, source)]));
  const upstreamSource = dataSources[primary.serviceName];
  // The event is the primary fetch's answer; any other fetch to that subgraph goes out as usual.
  const eventSource: GraphQLDataSource<RouterContext> = {
    process: (request) =>
      request.request.query === primary.operation
        ? Promise.resolve({ data: structuredClone(event.data), errors: event.errors ? [...event.errors] : undefined } as never)
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
    { ...dataSources, [primary.serviceName]: eventSource },
    requestContext,
    options.plan.operationContext,
    options.plan.planner.supergraphSchema,
    options.plan.planner.apiSchema,
  );
}

const pick = (variables: Record<string, unknown>, names: readonly string[]) =>
  Object.fromEntries(names.filter((name) => name in variables).map((name) => [name, variables[name]]));

function fetchesOf(node: PlanNode | undefined): FetchNode[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return [node];
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetchesOf);
    case 'Flatten':
      return fetchesOf(node.node);
    case 'Condition':
      return [...fetchesOf(node.ifClause), ...fetchesOf(node.elseClause)];
    case 'Defer':
      return [...fetchesOf(node.primary.node), ...node.deferred.flatMap((deferred) => fetchesOf(deferred.node))];
    default:
      return [];
  }
}
