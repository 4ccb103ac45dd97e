import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

/**
 * CORS by allow-list: an allowed origin gets Access-Control-Allow-Origin (with credentials, since
 * it is named), any other none, so the browser keeps the response from its page. `*` allows every
 * origin, never with credentials. Returns true when it answered a preflight itself.
 */
export function createCorsHandler(origins: readonly string[]): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  const middleware = cors({
    // A function, so that a disallowed origin gets no CORS header at all (not even the credentials one).
    origin: anyOrigin ? '*' : (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    credentials: !anyOrigin,
    methods: ['GET', 'POST', 'OPTIONS'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
  return (req, res) =>
    new Promise((resolve, reject) => {
      middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve(false)));
      // A preflight is answered (204) without calling next.
      if (res.writableEnded) resolve(true);
    });
}
