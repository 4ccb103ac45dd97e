import type { IncomingMessage } from 'node:http';
import type { TokenVerifier, Viewer } from '@dorandoran/service-kit';
import { browserSessionOf, type BrowserSession } from './plugins/sessionCookie';
import { clientAddress } from './protection/clientAddress';

export interface RouterContext {
  viewer: Viewer | null;
  requestId: string;
  /** Whose budget a signed-out request spends (protection/rateLimits.ts). */
  clientIp: string;
  /** A browser that keeps its refresh token in the router's cookie (plugins/sessionCookie.ts); null for other clients. */
  browserSession: BrowserSession | null;
}

/** Verifies the token (HTTP 401 when bad, expired or revoked). */
export async function createRouterContext(
  req: IncomingMessage,
  requestId: string,
  verifier: TokenVerifier,
  trustProxyHops: number,
): Promise<RouterContext> {
  return {
    viewer: await verifier.verify(req.headers.authorization),
    requestId,
    clientIp: clientAddress(req, trustProxyHops),
    browserSession: browserSessionOf(req, trustProxyHops),
  };
}
