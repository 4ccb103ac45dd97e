import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { Fetcher } from '@apollo/utils.fetcher';
import { BROWSER_SESSION_HEADERS, ROUTER_SECRET_HEADER, serviceUnavailable } from '@dorandoran/service-kit';
import { GraphQLError, Kind, parse } from 'graphql';
import type { RouterContext } from './context';

export interface SubgraphDataSourceOptions {
  /** The subgraph's name, for errors that say which service is missing. */
  name: string;
  url: string;
  /** Sent to every subgraph so that it knows the request passed the router. */
  routerSecret: string;
  /** The subgraph's own pool, timeout and circuit breaker (resilience/subgraphFetcher.ts). */
  fetcher: Fetcher;
  timeoutMs: number;
}

/**
 * Calls a subgraph with the caller's own Authorization header (the subgraph verifies it again),
 * the router secret, and the request id. A browser session's refresh token travels between the
 * router's cookie and auth in internal headers (service-kit's BROWSER_SESSION_HEADERS): sent to
 * auth alone, and auth's answer in them read here, never passed to the client.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  private readonly routerSecret: string;
  private readonly name: string;
  private readonly timeoutMs: number;

  constructor(options: SubgraphDataSourceOptions) {
    super({ url: options.url, fetcher: options.fetcher });
    this.routerSecret = options.routerSecret;
    this.name = options.name;
    this.timeoutMs = options.timeoutMs;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    request.http?.headers.set(ROUTER_SECRET_HEADER, this.routerSecret);
    if (!context || !('requestId' in context)) return; // the gateway's own health checks
    request.http?.headers.set('x-request-id', context.requestId);
    if (context.viewer) request.http?.headers.set('authorization', context.viewer.authorization);
    if (this.name === 'auth' && context.browserSession) {
      request.http?.headers.set(BROWSER_SESSION_HEADERS.optIn, '1');
      if (context.browserSession.refreshToken) request.http?.headers.set(BROWSER_SESSION_HEADERS.refreshToken, context.browserSession.refreshToken);
    }
  }

  /** Auth's word on the browser's cookie, for the router's response (plugins/sessionCookie.ts). */
  override didReceiveResponse({ response, context }: Required<Pick<GatewayGraphQLRequestContext<RouterContext>, 'request' | 'response' | 'context'>>): GatewayGraphQLResponse {
    const session = this.name === 'auth' && 'browserSession' in context ? context.browserSession : null;
    const headers = response.http?.headers;
    if (!session || !headers) return response;
    const issued = headers.get(BROWSER_SESSION_HEADERS.issued);
    const maxAgeSeconds = Number(headers.get(BROWSER_SESSION_HEADERS.issuedMaxAge));
    if (issued && Number.isInteger(maxAgeSeconds) && maxAgeSeconds > 0) session.cookie = { issued, maxAgeSeconds };
    else if (headers.get(BROWSER_SESSION_HEADERS.clear) === '1') session.cookie = 'clear';
    return response;
  }

  /**
   * A root fetch to a subgraph that is down answers one SERVICE_UNAVAILABLE per root field it was
   * asked for, at that field's path (the gateway puts a thrown error at no path): the client sees
   * which fields are missing and why. Entity fetches still throw, their paths being the gateway's.
   */
  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      const atRoot = 'pathInIncomingRequest' in options && options.pathInIncomingRequest?.length === 0;
      if (!atRoot || !(error instanceof GraphQLError) || error.extensions.code !== 'SERVICE_UNAVAILABLE' || !options.request.query) throw error;
      const fields = rootFieldNames(options.request.query);
      if (fields.length === 0) throw error;
      return { errors: fields.map((name) => new GraphQLError(error.message, { path: [name], extensions: error.extensions })) };
    }
  }

  /**
   * A subgraph that answered with a non-2xx status: its own coded error (a token it found revoked,
   * a revocation list it could not read) reaches the client as it said it, naming the subgraph;
   * a bare 502/503/504 is SERVICE_UNAVAILABLE. Nothing of the subgraph's address or raw body is
   * passed on (the gateway's default puts both in the error).
   */
  override async errorFromResponse(response: Awaited<ReturnType<Fetcher>>): Promise<GraphQLError> {
    const body = await response.json().catch(() => undefined);
    const coded = codedError(body);
    if (coded && coded.code !== 'INTERNAL_SERVER_ERROR') return new GraphQLError(coded.message, { extensions: { code: coded.code, subgraph: this.name } });
    if ([502, 503, 504].includes(response.status)) {
      return new GraphQLError(`The ${this.name} service is unavailable (HTTP ${response.status}); try again shortly.`, { extensions: { code: 'SERVICE_UNAVAILABLE', subgraph: this.name } });
    }
    return new GraphQLError(`The ${this.name} service failed with HTTP ${response.status}.`);
  }

  /**
   * No response at all (refused, reset, timed out, breaker open) means the subgraph is down or
   * overloaded: the client gets SERVICE_UNAVAILABLE naming it, not an internal error with the
   * subgraph's address.
   */
  override didEncounterError(error: Error, _request: unknown, response?: unknown): never {
    if (response) throw error;
    const unavailable =
      error instanceof GraphQLError && error.extensions.code === 'SERVICE_UNAVAILABLE'
        ? error
        : serviceUnavailable(`The ${this.name} service ${error.name === 'TimeoutError' ? `did not answer within ${this.timeoutMs} ms` : 'is not reachable'}; try again shortly.`);
    unavailable.extensions.subgraph = this.name;
    throw unavailable;
  }
}

/** The first error of a GraphQL response body, when it carries a code. */
function codedError(body: unknown): { message: string; code: string } | undefined {
  const first = (body as { errors?: { message?: unknown; extensions?: { code?: unknown } }[] } | null)?.errors?.[0];
  const code = first?.extensions?.code;
  return typeof first?.message === 'string' && typeof code === 'string' ? { message: first.message, code } : undefined;
}

/** The response names of an operation's root fields (the subgraph fetch's own text). */
function rootFieldNames(query: string): string[] {
  const operation = parse(query).definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return (operation?.selectionSet.selections ?? []).flatMap((selection) =>
    selection.kind === Kind.FIELD && selection.name.value !== '__typename' ? [(selection.alias ?? selection.name).value] : [],
  );
}
