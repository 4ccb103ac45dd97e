import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from './logger';

export interface HttpRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds each operation's context; a GraphQLError with `extensions.http.status` sets the status. */
  context(req: IncomingMessage): Promise<TContext>;
  routes?: HttpRoute[];
  logger: Logger;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /** @default '/graphql' */
  graphqlPath?: string;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** A request refused with an HTTP status, e.g. a body over the limit (413). */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Reads the body up to `limit` bytes. A larger body is read to its end without being kept, so the
 * client gets its 413 instead of a reset connection; one past eight times the limit is cut off.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit * 8) req.destroy();
    });
    req.on('end', () => {
      if (size > limit) reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', `The request body is over ${limit} bytes; send a smaller one.`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (!contentType?.includes('application/json')) return text;
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid JSON. Send {"query": "...", "variables": {...}}.');
  }
}

/** A plain node HTTP server: extra routes (health, JWKS) plus GraphQL through Apollo Server. */
export function createGraphQLHttpServer<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>): Server {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      const route = options.routes?.find((r) => r.path === url.pathname && r.method === req.method);
      if (route) return await route.handle(req, res);
      if (url.pathname !== graphqlPath) {
        return sendJson(res, 404, { errors: [{ message: `Nothing at ${url.pathname}; GraphQL is at ${graphqlPath}.` }] });
      }
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const body = req.method === 'POST' ? parseBody(await readBody(req, maxBody), req.headers['content-type']) : undefined;
      const response = await options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: () => options.context(req),
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
        return sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] });
      }
      options.logger.error({ err: error }, 'unhandled HTTP error');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    }
  });
}

export async function listen(server: Server, port: number, host = '0.0.0.0'): Promise<number> {
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
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export const healthRoute = (check: () => Promise<Record<string, unknown>> | Record<string, unknown> = () => ({})): HttpRoute => ({
  method: 'GET',
  path: '/health',
  async handle(_req, res) {
    sendJson(res, 200, { status: 'ok', ...(await check()) });
  },
});
