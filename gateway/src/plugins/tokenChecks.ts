import type { Logger, TokenVerifier, Viewer } from '@dorandoran/service-kit';
import { GraphQLError } from 'graphql';

/** What checking a socket's token told: who it is, that the token is refused, or nothing (the check itself failed). */
export type TokenCheck = { viewer: Viewer | null } | 'refused' | 'unavailable';

/**
 * Token checks for graphql-ws connections. The verifier's verdict on a token is UNAUTHENTICATED
 * (bad, expired, revoked): sign in again. Any other failure (SERVICE_UNAVAILABLE: the revocation
 * list or the keys are out of reach) says nothing about the token, so a connection must not be
 * ended for it. Such an outage is logged once when it starts and once when checks answer again,
 * however many connections meet it.
 */
export function createTokenChecks(verifier: TokenVerifier, logger: Logger): (authorization: string | undefined) => Promise<TokenCheck> {
  let outage = false;
  return async (authorization) => {
    try {
      const viewer = await verifier.verify(authorization);
      if (viewer && outage) {
        outage = false;
        logger.info('socket token checks answer again');
      }
      return { viewer };
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code === 'UNAUTHENTICATED') return 'refused';
      if (!outage) {
        outage = true;
        logger.warn({ err: error instanceof Error ? error.message : error }, 'socket tokens cannot be checked: open connections are kept, new ones are asked to retry');
      }
      return 'unavailable';
    }
  };
}
