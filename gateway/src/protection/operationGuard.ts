import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { OperationLimits } from '../config';
import type { RouterContext } from '../context';
import type { RouterMetrics } from '../metrics';
import { checkOperationLimits, OperationLimitError } from './operationLimits';
import { notInSafelist, type PersistedQueryManifest } from './persistedQueries';
import { AUTH_OPERATIONS, RateLimitedError, type RateLimiter } from './rateLimits';

export interface GuardedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The operation's text as the client sent it (or as its persisted id stands for). */
  source: string;
  variables: Record<string, unknown> | undefined;
  context: RouterContext;
}

export interface OperationGuard {
  /** Throws a GraphQLError with its HTTP status when the operation may not run. */
  check(operation: GuardedOperation): Promise<void>;
  /** Runs `check` for every HTTP operation once it is parsed and validated. */
  plugin(): ApolloServerPlugin<RouterContext>;
}

/**
 * What an operation must pass before it is planned: the safelist (when one is set), the
 * operation limits, then the budgets: auth operations per IP, operations per user, and the
 * estimated cost per user (or IP when signed out).
 */
export function createOperationGuard(options: {
  limits: OperationLimits;
  rateLimiter: RateLimiter;
  /** Set in safelist mode: the only operations that may run. */
  safelist?: PersistedQueryManifest;
  metrics: RouterMetrics;
}): OperationGuard {
  const { limits, rateLimiter, safelist, metrics } = options;

  async function check({ schema, document, operation, source, variables, context }: GuardedOperation) {
    try {
      if (safelist && !safelist.bodies.has(source)) throw notInSafelist();
      const cost = checkOperationLimits(schema, document, operation, variables, limits);
      const { viewer, clientIp } = context;
      const isAuthOperation = operation.operation === 'mutation' && rootFieldNames(document, operation.selectionSet).some((name) => AUTH_OPERATIONS.has(name));
      // Side by side: one Redis round trip of waiting instead of three.
      await Promise.all([
        isAuthOperation && rateLimiter.consume('auth', clientIp),
        viewer && rateLimiter.consume('user', viewer.userId),
        rateLimiter.consume('cost', viewer ? `user:${viewer.userId}` : `ip:${clientIp}`, cost),
      ]);
    } catch (error) {
      if (error instanceof OperationLimitError) metrics.limitRejected.inc({ limit: error.limit });
      else if (error instanceof RateLimitedError) metrics.rateLimited.inc({ limit: error.budget });
      else if (error instanceof GraphQLError && error.extensions.code === 'PERSISTED_QUERY_NOT_IN_LIST') metrics.limitRejected.inc({ limit: 'safelist' });
      throw error;
    }
  }

  return {
    check,
    plugin: () => ({
      async requestDidStart() {
        return {
          async didResolveOperation({ schema, document, operation, source, request, contextValue }) {
            if (!operation) return;
            await check({ schema, document, operation, source, variables: request.variables, context: contextValue });
          },
        };
      },
    }),
  };
}

/** Root field names, also those inside fragments (which could otherwise hide a logIn). */
function rootFieldNames(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFieldNames(document, selection.selectionSet, seen);
    if (seen.has(selection.name.value)) return [];
    seen.add(selection.name.value);
    const fragment = document.definitions.find(
      (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
    );
    return fragment ? rootFieldNames(document, fragment.selectionSet, seen) : [];
  });
}
