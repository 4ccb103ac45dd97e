import { createHash } from 'node:crypto';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError, print, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { RouterContext } from '../context';
import { filterOperation, type FilteredOperation, type Viewer } from './filter';
import type { AuthPolicy } from './policy';
import { restoreRemovedFields } from './restore';

/**
 * Wraps the gateway so that every operation is filtered by @authenticated/@requiresScopes before
 * planning, the way Apollo Router does it: unauthorized fields are removed, come back null with an
 * UNAUTHORIZED_FIELD_OR_TYPE error each, and the rest of the operation runs.
 */
export function enforceAuthDirectives(gateway: GatewayInterface, policy: () => AuthPolicy): GatewayInterface {
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
  });
  const prepared = preparedOperations();

  const wrap = (execute: GatewayExecutor): GatewayExecutor => async (requestContext) => {
    const viewer = (requestContext.context as RouterContext).viewer;
    const schema = apiSchema ?? requestContext.schema;
    const { filtered, rewrite } = prepared(schema, policy(), requestContext.document, requestContext.operationName, viewer);
    if (filtered.removed.length === 0) return execute(requestContext);
    const restore = (result: Parameters<typeof restoreRemovedFields>[0]) => {
      const restored = restoreRemovedFields(result, filtered.removed, schema, requestContext.document);
      return { ...restored, errors: restored.errors.map(asGraphQLError) };
    };
    if (!rewrite) return restore({ data: {} }) as Awaited<ReturnType<GatewayExecutor>>;
    const result = await execute({ ...requestContext, document: filtered.document, ...rewrite });
    return restore(result) as Awaited<ReturnType<GatewayExecutor>>;
  };

  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    async load(options) {
      const loaded = await gateway.load(options);
      return { executor: loaded.executor && wrap(loaded.executor) };
    },
    stop: () => gateway.stop(),
  };
}

/** Apollo Server formats only GraphQLError instances; the restored errors are plain objects. */
function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const { message, path, extensions } = error as GraphQLFormattedError;
  return new GraphQLError(message, { path, extensions });
}

interface PreparedOperation {
  filtered: FilteredOperation;
  /** Set when fields were removed and some are left: the filtered operation, its text and the hash the gateway caches its plan by. */
  rewrite?: { operation: OperationDefinitionNode; source: string; queryHash: string };
}

/**
 * The filtered operation depends only on the schema, the policy, the document, the operation's name
 * and what the viewer may see (signed in or not, and the scopes), so it is made once per such
 * combination. Apollo Server hands over one parsed document per query text (its document cache),
 * so documents key a WeakMap: an operation's entries go when its document leaves that cache, and a
 * supergraph reload (a new schema and policy) starts afresh.
 */
export function preparedOperations() {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<AuthPolicy, WeakMap<DocumentNode, Map<string, PreparedOperation>>>>();
  return (schema: GraphQLSchema, policy: AuthPolicy, document: DocumentNode, operationName: string | null | undefined, viewer: Viewer | null): PreparedOperation => {
    let byPolicy = bySchema.get(schema);
    if (!byPolicy) bySchema.set(schema, (byPolicy = new WeakMap()));
    let byDocument = byPolicy.get(policy);
    if (!byDocument) byPolicy.set(policy, (byDocument = new WeakMap()));
    let entries = byDocument.get(document);
    if (!entries) byDocument.set(document, (entries = new Map()));
    const key = `${operationName ?? ''}\n${viewer ? [...viewer.scopes].sort().join(' ') : '(anonymous)'}`;
    let entry = entries.get(key);
    if (!entry) {
      entry = prepare(schema, policy, document, operationName, viewer);
      entries.set(key, entry);
    }
    return entry;
  };
}

function prepare(schema: GraphQLSchema, policy: AuthPolicy, document: DocumentNode, operationName: string | null | undefined, viewer: Viewer | null): PreparedOperation {
  const filtered = filterOperation(schema, document, operationName, policy, viewer);
  if (filtered.removed.length === 0 || filtered.nothingLeft) return { filtered };
  const operation = filtered.document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition')!;
  const source = print(filtered.document);
  // The gateway caches query plans by this hash: it must name the filtered operation.
  return { filtered, rewrite: { operation, source, queryHash: createHash('sha256').update(source).digest('hex') } };
}
