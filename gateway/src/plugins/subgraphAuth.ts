import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { ROUTER_SECRET_HEADER } from '@dorandoran/service-kit';
import type { RouterContext } from '../context';

export interface SubgraphAuthOptions {
  url: string;
  /** Sent to every subgraph so that it knows the request passed the router. */
  routerSecret: string;
  /** A subgraph fetch that takes longer fails with a timeout error for its part of the plan. */
  timeoutMs: number;
}

/**
 * Calls a subgraph with the caller's own Authorization header (the subgraph verifies it again),
 * the router secret, and the request id.
 */
export class AuthenticatedDataSource extends RemoteGraphQLDataSource<RouterContext> {
  private readonly routerSecret: string;

  constructor(options: SubgraphAuthOptions) {
    // Node's fetch keeps connections alive per origin; the timeout bounds each fetch.
    const fetcher: Fetcher = (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) } as RequestInit);
    super({ url: options.url, fetcher });
    this.routerSecret = options.routerSecret;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    request.http?.headers.set(ROUTER_SECRET_HEADER, this.routerSecret);
    if (!context || !('requestId' in context)) return; // the gateway's own health checks
    request.http?.headers.set('x-request-id', context.requestId);
    if (context.viewer) request.http?.headers.set('authorization', context.viewer.authorization);
  }
}
