import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The error codes clients can rely on (ARCHITECTURE.md, Conventions). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'UNAUTHORIZED_FIELD_OR_TYPE'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export function appError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

export const badUserInput = (field: string, message: string) => appError('BAD_USER_INPUT', message, { field });
export const notFound = (type: string, id: string) =>
  appError('NOT_FOUND', `No ${type} with id "${id}". Check the id, or whether it was deleted.`, { type, id });
export const forbidden = (message = 'You are not allowed to do this.') => appError('FORBIDDEN', message);
export const unauthenticated = (message = 'Sign in first: send "Authorization: Bearer <access token>".') =>
  appError('UNAUTHENTICATED', message);
export const conflict = (message: string) => appError('CONFLICT', message);
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  appError('RATE_LIMITED', message, { retryAfter: retryAfterSeconds });
export const serviceUnavailable = (message: string) => appError('SERVICE_UNAVAILABLE', message);

const CLIENT_CODES = new Set<string>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'UNAUTHORIZED_FIELD_OR_TYPE',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  // Apollo Server's own request errors: they describe the request, so the client sees them.
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Apollo `formatError`: our own coded errors pass through; anything else (a bug, a database
 * error) becomes a generic internal error, so no stack trace or SQL reaches a client.
 */
export function createErrorFormatter(onInternalError: (error: unknown) => void, moreClientCodes: readonly string[] = []) {
  const clientCodes = new Set([...CLIENT_CODES, ...moreClientCodes]);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = requestErrorCode(error) ?? formatted.extensions?.code;
    if (typeof code === 'string' && clientCodes.has(code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, code } };
    }
    onInternalError(error);
    return {
      message: 'Internal server error. It has been logged; try again later.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}

/**
 * Apollo Server refuses some requests with a 4xx status but no code (an APQ hash that does not
 * match its query, an unknown APQ version), which it would report as INTERNAL_SERVER_ERROR: they
 * are the client's mistakes, named BAD_REQUEST.
 */
function requestErrorCode(error: unknown): string | undefined {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined) return undefined;
  const status = (error.extensions.http as { status?: number } | undefined)?.status;
  return status !== undefined && status >= 400 && status < 500 ? 'BAD_REQUEST' : undefined;
}
