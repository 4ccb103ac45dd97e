import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { assertUsableText } from '@dorandoran/service-kit';
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
 * What an operation must pass before it is planned: the safelist (when one is set), text that
 * can be stored (no NUL, no broken Unicode), the operation limits, then the budgets, each counted
 * per root field: auth operations per IP, operations per user, and the estimated cost per user
 * (or IP when signed out).
 */
export function createOperationGuard(options: {
  limits: OperationLimits;
  rateLimiter: RateLimiter;
  /** Set in safelist mode: the only operations that may run. */
  safelist?: PersistedQueryManifest;
  metrics: RouterMetrics;
}): OperationGuard {
  const { limits, rateLimiter, safelist, metrics } = options;
  /** Documents whose own strings passed: one parsed document per text (Apollo Server's cache), so checked once. */
  const textChecked = new WeakSet<DocumentNode>();

  async function check({ schema, document, operation, source, variables, context }: GuardedOperation) {
    try {
      if (safelist && !safelist.bodies.has(source)) throw notInSafelist();
      assertUsableText(textChecked.has(document) ? NO_DOCUMENT : document, variables);
      textChecked.add(document);
      const measure = checkOperationLimits(schema, document, operation, variables, limits);
      const { viewer, clientIp } = context;
      const rootFieldCount = countOf(measure.rootFields);
      // Budgets count root fields, not requests: ten aliased signUps are ten sign-ups.
      const authFields = operation.operation === 'mutation' ? countOf(measure.rootFields, AUTH_OPERATIONS) : 0;
      // Side by side: one Redis round trip of waiting instead of three.
      await Promise.all([
        authFields > 0 && rateLimiter.consume('auth', clientIp, authFields),
        viewer && rateLimiter.consume('user', viewer.userId, Math.max(1, rootFieldCount)),
        rateLimiter.consume('cost', viewer ? `user:${viewer.userId}` : `ip:${clientIp}`, measure.cost),
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
            if (!operation) throw unresolvedOperation(request.operationName, document);
            if (operation.operation === 'subscription') throw subscriptionOverHttp();
            await check({ schema, document, operation, source, variables: request.variables, context: contextValue });
          },
        };
      },
    }),
  };
}

/** Stands for a document already checked, so that only the variables are. */
const NO_DOCUMENT: DocumentNode = { kind: Kind.DOCUMENT, definitions: [] };

/** How many of the selected root fields are among `names` (all of them without `names`). */
function countOf(rootFields: ReadonlyMap<string, number>, names?: ReadonlySet<string>): number {
  let count = 0;
  for (const [name, times] of rootFields) if (!names || names.has(name)) count += times;
  return count;
}

/** The document has no operation by the given name, or several and no name to choose one. */
function unresolvedOperation(operationName: string | undefined, document: DocumentNode): GraphQLError {
  const names = document.definitions.flatMap((definition) => (definition.kind === Kind.OPERATION_DEFINITION ? [definition.name?.value ?? '(anonymous)'] : []));
  // The name is the client's and may be any length: echo only its start.
  const named = operationName && operationName.length > 100 ? `${operationName.slice(0, 100)}…` : operationName;
  const message = named
    ? `The document has no operation named "${named}"; operationName must be one of: ${names.join(', ')}.`
    : `The document has ${names.length} operations (${names.join(', ')}); say which to run with operationName.`;
  return new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
}

function subscriptionOverHttp(): GraphQLError {
  return new GraphQLError('Subscriptions run over graphql-ws: open a WebSocket to this same URL (ws:// or wss://) with the graphql-transport-ws protocol.', {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });
}
