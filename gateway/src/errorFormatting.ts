import { createErrorFormatter, type Logger } from '@dorandoran/service-kit';
import type { GraphQLFormattedError } from 'graphql';
import type { RouterConfig } from './config';
import type { RouterMetrics } from './metrics';
import { OPERATION_LIMIT_CODES, tokenLimitError } from './protection/operationLimits';
import { notInSafelist } from './protection/persistedQueries';

/** Codes the router adds to those every service lets through to clients. */
const ROUTER_CLIENT_CODES = [...OPERATION_LIMIT_CODES, 'PERSISTED_QUERY_NOT_IN_LIST', 'PAYLOAD_TOO_LARGE'];

/**
 * What the router's clients read of an error: the shared formatter (codes clients may see kept,
 * anything else an INTERNAL_SERVER_ERROR, logged), with the router's own refusals named: a parse
 * that stopped at MAX_TOKENS, and in safelist mode an unknown persisted id.
 */
export function routerErrorFormatter(
  config: Pick<RouterConfig, 'mode' | 'limits'>,
  safelist: boolean,
  metrics: RouterMetrics,
  logger: Logger,
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  const notInSafelistFormatted = { message: notInSafelist().message, extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } };
  const formatCoded = createErrorFormatter((error) => logger.error({ err: error }, 'internal error'), ROUTER_CLIENT_CODES);
  return (formatted, error) => {
    if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED') {
      const overLimit = tokenLimitError(formatted.message, config.limits.maxTokens);
      if (overLimit) {
        metrics.limitRejected.inc({ limit: 'tokens' });
        return { message: overLimit.message, extensions: { code: overLimit.extensions.code, limit: overLimit.extensions.limit } };
      }
    }
    // In safelist mode an unknown id is not a cache miss to be fixed by sending the text: it is refused.
    if (safelist && formatted.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND') {
      metrics.limitRejected.inc({ limit: 'safelist' });
      return notInSafelistFormatted;
    }
    const result = formatCoded(formatted, error);
    // Suggestions would spell out the schema that introspection being off keeps private.
    return config.mode === 'production' ? withoutSuggestions(result) : result;
  };
}

/** Suggestions ("Did you mean …") would spell out the schema that introspection being off keeps private (HTTP and graphql-ws). */
export function withoutSuggestions(error: GraphQLFormattedError): GraphQLFormattedError {
  return { ...error, message: error.message.replace(/ ?Did you mean .+\?/, '') };
}
