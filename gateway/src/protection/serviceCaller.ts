import type { TokenVerifier } from '@dorandoran/service-kit';

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
