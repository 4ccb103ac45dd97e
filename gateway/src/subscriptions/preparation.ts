import { getOperationAST, GraphQLError, parse, validate, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { filterOperation } from '../authorization/filter';
import type { AuthPolicy } from '../authorization/policy';
import { restoreRemovedFields } from '../authorization/restore';
import type { OperationGuard } from '../protection/operationGuard';
import { tokenLimitError } from '../protection/operationLimits';
import type { Connection, OperationState } from './connection';
import type { SubscriptionPlan, SubscriptionPlanner } from './federatedSubscription';

/** Valid subscription texts kept parsed, per API schema (a reload starts afresh): at most this many, ... */
const MAX_KNOWN_DOCUMENTS = 200;
/** ... each at most this long; a longer one is parsed and validated per subscribe, as before. */
const MAX_KNOWN_DOCUMENT_CHARS = 16 * 1024;
const knownDocuments = new WeakMap<GraphQLSchema, Map<string, DocumentNode>>();

/**
 * A text that parsed and validated against this schema before gives the same document: thousands of
 * subscribers sending the app's one operation share one parsed document (graphql-js keeps every
 * token of it on its locations, some 10 KiB per copy) instead of holding one each.
 */
function knownDocument(schema: GraphQLSchema, query: string): DocumentNode | undefined {
  const known = knownDocuments.get(schema)?.get(query);
  if (known) {
    // Most recently used last, so that the oldest goes first when the cache is full.
    const documents = knownDocuments.get(schema)!;
    documents.delete(query);
    documents.set(query, known);
  }
  return known;
}

function rememberDocument(schema: GraphQLSchema, query: string, document: DocumentNode) {
  if (query.length > MAX_KNOWN_DOCUMENT_CHARS) return;
  let documents = knownDocuments.get(schema);
  if (!documents) knownDocuments.set(schema, (documents = new Map()));
  if (documents.size >= MAX_KNOWN_DOCUMENTS) documents.delete(documents.keys().next().value!);
  documents.set(query, document);
}

export const isRefusal = (prepared: ExecutionArgs | readonly GraphQLError[]): prepared is readonly GraphQLError[] => Array.isArray(prepared);

/** Parses, validates, guards (limits, budgets) and filters one subscribe message; errors fail this operation only. */
export async function prepare(
  planner: SubscriptionPlanner,
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  id: string,
  connection: Connection,
  options: { policy: () => AuthPolicy; guard: OperationGuard; maxTokens: number },
  operations: WeakMap<object, OperationState>,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const schema = planner.apiGraphQLSchema;
  let document = knownDocument(schema, payload.query);
  if (!document) {
    try {
      document = parse(payload.query, { maxTokens: options.maxTokens });
    } catch (error) {
      const message = (error as Error).message;
      const overLimit = tokenLimitError(message, options.maxTokens);
      return [overLimit ? withoutHttp(overLimit) : new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
    }
    const invalid = validate(schema, document);
    if (invalid.length) return invalid.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
    rememberDocument(schema, payload.query, document);
  }
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
  operations.set(contextValue, { id, connection, document, removed: filtered.removed, plan });
  return {
    schema,
    document: plan.document,
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
