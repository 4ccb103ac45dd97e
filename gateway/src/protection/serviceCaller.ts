import type { IncomingMessage } from 'node:http';
import { HttpError, type TokenVerifier } from '@dorandoran/service-kit';
import type { RouterMetrics } from '../metrics';
import { clientAddress } from './clientAddress';
import { RateLimitedError, type RateLimiter } from './rateLimits';

/**
 * The batch service's account id when the request's token proves it (a valid token with scope
 * `service`, which auth gives that account alone), so that its requests spend the service's own
 * budget rather than its address's, which people on the same address share.
 *
 * Only a token that says it has that scope is verified here, before the body is read; every other
 * request is verified once, in the context, as before. A token that says so falsely, or cannot be
 * checked now, spends the address's budget like anyone's (and is refused later in the context).
 */
export async function serviceAccountOf(authorization: string | undefined, verifier: TokenVerifier): Promise<string | undefined> {
  const payload = /^Bearer\s+[\w-]+\.([\w-]+)\.[\w-]+$/i.exec(authorization?.trim() ?? '')?.[1];
  if (!payload || !claimsServiceScope(payload)) return undefined;
  try {
    const viewer = await verifier.verify(authorization);
    return viewer?.scopes.has('service') ? viewer.userId : undefined;
  } catch {
    return undefined;
  }
}

function claimsServiceScope(payload: string): boolean {
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { scope?: unknown };
    return typeof claims.scope === 'string' && claims.scope.split(' ').includes('service');
  } catch {
    return false;
  }
}

/**
 * Spends one request of the caller's budget before the body is read: the batch service's own
 * (`service`), anyone else's address's (`ip`). Over it, a 429 with Retry-After.
 */
export async function spendRequestBudget(
  req: IncomingMessage,
  { verifier, rateLimiter, trustProxyHops, metrics }: { verifier: TokenVerifier; rateLimiter: RateLimiter; trustProxyHops: number; metrics: RouterMetrics },
): Promise<void> {
  const service = await serviceAccountOf(req.headers.authorization, verifier);
  try {
    if (service) await rateLimiter.consume('service', `account:${service}`);
    else await rateLimiter.consume('ip', clientAddress(req, trustProxyHops));
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    metrics.rateLimited.inc({ limit: error.budget });
    throw new HttpError(429, 'RATE_LIMITED', error.message, { 'retry-after': String(error.retryAfterSeconds) }, { retryAfter: error.retryAfterSeconds, budget: error.budget });
  }
}
