import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TokenVerifier, Viewer } from '@dorandoran/service-kit';

export interface RouterContext {
  viewer: Viewer | null;
  requestId: string;
}

const REQUEST_ID = /^[\w.-]{1,100}$/;

/** Verifies the token (HTTP 401 when bad, expired or revoked) and names the request. */
export async function createRouterContext(req: IncomingMessage, verifier: TokenVerifier): Promise<RouterContext> {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  return { viewer: await verifier.verify(req.headers.authorization), requestId };
}
