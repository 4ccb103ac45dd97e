import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { jsonTooDeep, MAX_JSON_DEPTH } from './jsonDepth';
import type { Logger } from './logger';
import { requestIdOf, requestScope } from './requestScope';
import { inServerSpan } from './tracing';

export interface HttpRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  /** Names the spans and log lines. */
  service: string;
  apollo: ApolloServer<TContext>;
  /** Builds each operation's context; a GraphQLError with `extensions.http.status` sets the status. */
  context(req: IncomingMessage, requestId: string): Promise<TContext>;
  /**
   * Runs first for every request: may refuse it by throwing an HttpError, or answer it itself (a
   * CORS preflight) and return true.
   */
  beforeRequest?(req: IncomingMessage, res: ServerResponse): Promise<boolean> | boolean;
  /** Answers what no route and not GraphQL answers (the router's web app); false leaves it a 404. */
  fallback?(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> | boolean;
  routes?: HttpRoute[];
  logger: Logger;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /** @default '/graphql' */
  graphqlPath?: string;
  /** More paths served by the same GraphQL pipeline (the router's session path, which its cookie is scoped to). */
  extraGraphqlPaths?: readonly string[];
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** A request refused with an HTTP status, e.g. a body over the limit (413). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Reads the body up to `limit` bytes. A larger one (by its Content-Length, or as it arrives) is
 * refused at once with a 413 that closes the connection, and the rest of it is never kept.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () => new HttpError(413, 'PAYLOAD_TOO_LARGE', `The request body is over ${limit} bytes; send a smaller one.`, { connection: 'close' }, { limit });
  if (Number(req.headers['content-length']) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      chunks.length = 0;
      reject(tooLarge());
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (!contentType?.includes('application/json')) return text;
  if (text === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid JSON. Send {"query": "...", "variables": {...}}.');
  }
  const tooDeep = jsonTooDeep(body, 'The request body');
  if (tooDeep) throw new HttpError(400, 'BAD_REQUEST', tooDeep, {}, { limit: MAX_JSON_DEPTH });
  return body;
}

/** Probes and scrapes are not worth a log line each. */
const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * A plain node HTTP server: extra routes (health, JWKS, metrics) plus GraphQL through Apollo
 * Server. Each request gets a request id (the caller's `x-request-id`, or a new one) that its log
 * lines carry and the response returns, and a SERVER span continuing the caller's trace.
 */
export function createGraphQLHttpServer<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>): Server {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.logger;

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string) {
    try {
      if (await options.beforeRequest?.(req, res)) return;
      const route = options.routes?.find((r) => r.path === url.pathname && r.method === req.method);
      if (route) return await route.handle(req, res);
      if (url.pathname !== graphqlPath && !options.extraGraphqlPaths?.includes(url.pathname)) {
        if (await options.fallback?.(req, res, url)) return;
        return sendJson(res, 404, { errors: [{ message: `Nothing at ${url.pathname}; GraphQL is at ${graphqlPath}.` }] });
      }
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const body = req.method === 'POST' ? parseBody(await readBody(req, maxBody), req.headers['content-type']) : undefined;
      const response = await options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: () => options.context(req, requestId),
      });
      for (const [name, value] of response.headers) res.setHeader(name, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      if (error instanceof HttpError) {
        return sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code, ...error.extensions } }] }, error.headers);
      }
      log.error({ err: error }, 'unhandled HTTP error');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    }
  }

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const requestId = requestIdOf(req);
    const started = performance.now();
    res.setHeader('x-request-id', requestId);
    void requestScope.run({ requestId }, () =>
      inServerSpan(options.service, `${req.method} ${url.pathname}`, req.headers, { 'http.request.method': req.method ?? '', 'url.path': url.pathname }, async (span) => {
        await handle(req, res, url, requestId);
        span.setAttribute('http.response.status_code', res.statusCode);
        const line = { method: req.method, path: url.pathname, status: res.statusCode, durationMs: Math.round(performance.now() - started) };
        if (QUIET_PATHS.has(url.pathname)) log.debug(line, 'request');
        else log.info(line, 'request');
      }),
    );
  });
}

/** A check that throws when what it checks cannot be reached. */
export type ReadinessCheck = () => Promise<unknown>;

const READINESS_TIMEOUT_MS = 2000;

/** GET /ready: 200 when every check passes within 2 s, 503 naming the ones that did not. */
export const readinessRoute = (checks: () => Record<string, ReadinessCheck>): HttpRoute => ({
  method: 'GET',
  path: '/ready',
  async handle(_req, res) {
    const results = await Promise.all(
      Object.entries(checks()).map(async ([name, check]) => {
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS).unref()),
          ]);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, `failing: ${error instanceof Error ? error.message : String(error)}`] as const;
        }
      }),
    );
    const ready = results.every(([, result]) => result === 'ok');
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  },
});

/** What closeServer needs of a server listen() started: its open connections, its unfinished answers, whether it is closing. */
interface ServerState {
  sockets: Set<Socket>;
  answers: Set<ServerResponse>;
  closing: boolean;
}
const serverStates = new WeakMap<Server, ServerState>();

export async function listen(server: Server, port: number, host = '0.0.0.0'): Promise<number> {
  if (!serverStates.has(server)) {
    const state: ServerState = { sockets: new Set(), answers: new Set(), closing: false };
    serverStates.set(server, state);
    server.on('connection', (socket: Socket) => {
      state.sockets.add(socket);
      socket.once('close', () => state.sockets.delete(socket));
    });
    // First, so that the header is set before any handler answers.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      if (state.closing) res.setHeader('connection', 'close');
      state.answers.add(res);
      res.once('close', () => state.answers.delete(res));
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  // close() ends only the connections idle at that moment; a keep-alive connection busy then was
  // served for as long as its client kept sending (a router under steady traffic never exited after
  // SIGTERM). From now on each answer closes its connection, so clients move to another instance:
  // the answers under way as well as those to requests still to come on open connections.
  const state = serverStates.get(server);
  if (!state) throw new Error('closeServer closes servers that listen() started');
  state.closing = true;
  for (const res of state.answers) if (!res.headersSent) res.setHeader('connection', 'close');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A connection that has sent nothing yet (a browser opens one ahead of need, and reopens one as soon
  // as its WebSocket is closed) is not idle to Node until its headers time out (60 s): a stopping router
  // waited that long for a page that was open on it. Nothing was asked on it, so nothing is lost.
  for (const socket of state.sockets) if (socket.bytesRead === 0) socket.destroy();
  await closed;
}

export const healthRoute = (check: () => Promise<Record<string, unknown>> | Record<string, unknown> = () => ({})): HttpRoute => ({
  method: 'GET',
  path: '/health',
  async handle(_req, res) {
    sendJson(res, 200, { status: 'ok', ...(await check()) });
  },
});
