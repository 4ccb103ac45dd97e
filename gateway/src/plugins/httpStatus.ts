import type { ApolloServerPlugin } from '@apollo/server';

/** HTTP status for a response whose every error has this code and that carries no data. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  BAD_USER_INPUT: 400,
  PERSISTED_QUERY_NOT_IN_LIST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * A request that failed as a whole because of what the client sent gets a 4xx status, so that
 * HTTP tooling sees the failure; partial results stay 200, as GraphQL over HTTP has them.
 * A RATE_LIMITED error also sets Retry-After.
 */
export function createHttpStatusPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (!errors?.length || (data && Object.values(data).some((value) => value !== null))) return;
          const codes = new Set(errors.map((error) => String(error.extensions?.code)));
          if (codes.size !== 1) return;
          const [code] = codes;
          const status = STATUS_BY_CODE[code];
          if (!status) return;
          response.http.status = status;
          const retryAfter = errors[0].extensions?.retryAfter;
          if (code === 'RATE_LIMITED' && typeof retryAfter === 'number') response.http.headers.set('retry-after', String(retryAfter));
        },
      };
    },
  };
}
