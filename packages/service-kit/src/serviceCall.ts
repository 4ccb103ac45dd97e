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
