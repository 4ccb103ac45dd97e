import CircuitBreaker from 'opossum';
import type { Logger } from './logger';
import { ROUTER_SECRET_HEADER } from './secrets';

/** A GraphQL answer from another DoranDoran service. */
export interface ServiceResponse<TData> {
  data?: TData | null;
  errors?: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
}

export interface ServiceCallTarget {
  /** The other service's /graphql. */
  url: string;
  /** Internal (@inaccessible) fields answer only the holders of the router secret. */
  routerSecret: string;
  timeoutMs: number;
}

/**
 * One GraphQL request from a service to another, with the router secret, bounded by the timeout.
 * No answer, or one that is not JSON, throws (what a circuit breaker counts); GraphQL errors come
 * back in the body for the caller to judge.
 */
export async function callService<TData>(target: ServiceCallTarget, query: string, variables: Record<string, unknown>): Promise<ServiceResponse<TData>> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [ROUTER_SECRET_HEADER]: target.routerSecret },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(target.timeoutMs),
  });
  if (!response.headers.get('content-type')?.includes('json')) throw new Error(`${target.url} answered HTTP ${response.status} without JSON`);
  return (await response.json()) as ServiceResponse<TData>;
}

export interface ServiceOperationOptions extends ServiceCallTarget {
  logger: Logger;
}

/** One operation of another service, called behind a circuit breaker. */
export interface ServiceOperation<TData> {
  /** The service's answer (GraphQL errors included); throws `unavailable()` when it was not reached. */
  call(variables: Record<string, unknown>): Promise<ServiceResponse<TData>>;
  close(): void;
}

/**
 * `query` sent with `callService` through a breaker: only transport failures open the circuit, and
 * then calls fail at once with `unavailable()` instead of each waiting for the timeout.
 */
export function serviceOperation<TData>(options: ServiceOperationOptions, query: string, unavailable: () => Error): ServiceOperation<TData> {
  const post = (variables: Record<string, unknown>) => callService<TData>(options, query, variables);
  const breaker = new CircuitBreaker(post, { timeout: false, errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeout: 10_000 });
  return {
    async call(variables) {
      try {
        return await breaker.fire(variables);
      } catch (error) {
        options.logger.warn({ err: (error as Error).message, url: options.url }, 'service not reached');
        throw unavailable();
      }
    },
    close: () => breaker.shutdown(),
  };
}
