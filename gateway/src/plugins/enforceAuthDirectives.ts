import { createHash } from 'node:crypto';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError, print, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { RouterContext } from '../context';
import { filterOperation, restoreRemovedFields, type AuthPolicy } from './authDirectives';

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

  const wrap = (execute: GatewayExecutor): GatewayExecutor => async (requestContext) => {
    const viewer = (requestContext.context as RouterContext).viewer;
    const schema = apiSchema ?? requestContext.schema;
    const filtered = filterOperation(schema, requestContext.document, requestContext.operationName, policy(), viewer);
    if (filtered.removed.length === 0) return execute(requestContext);
    const restore = (result: Parameters<typeof restoreRemovedFields>[0]) => {
      const restored = restoreRemovedFields(result, filtered.removed, schema, requestContext.document);
      return { ...restored, errors: restored.errors.map(asGraphQLError) };
    };
    if (filtered.nothingLeft) return restore({ data: {} }) as Awaited<ReturnType<GatewayExecutor>>;
    const operation = filtered.document.definitions.find(
      (definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition',
    )!;
    const text = print(filtered.document);
    const result = await execute({
      ...requestContext,
      document: filtered.document,
      operation,
      source: text,
      // The gateway caches query plans by this hash: it must name the filtered operation.
      queryHash: createHash('sha256').update(text).digest('hex'),
    });
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
