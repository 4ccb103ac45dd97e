import type { Logger, TokenVerifier, Viewer } from '@dorandoran/service-kit';
import { GraphQLError } from 'graphql';
import { SESSION_ENDED, type Connection } from './connection';

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

/**
 * Every open connection's token again, every `intervalMs`: a refused one closes the connection with
 * 4403; one that cannot be checked now is kept and checked next round. Each distinct token is
 * checked once per round however many connections present it (10,000 sockets of 50 people are 50
 * checks, not 10,000). A round waits for its slowest check (a Redis in trouble), and the next starts
 * only after it. Returns the stop.
 */
export function recheckTokens(connections: ReadonlyMap<object, Connection>, checkToken: ReturnType<typeof createTokenChecks>, intervalMs: number): () => void {
  let rechecking = false;
  const recheck = setInterval(() => {
    if (rechecking) return;
    rechecking = true;
    const byToken = new Map<string, Connection[]>();
    for (const connection of connections.values()) {
      const authorization = connection.context.viewer?.authorization;
      if (authorization === undefined) continue;
      const presenting = byToken.get(authorization);
      if (presenting) presenting.push(connection);
      else byToken.set(authorization, [connection]);
    }
    void Promise.all(
      [...byToken].map(async ([authorization, presenting]) => {
        if ((await checkToken(authorization)) !== 'refused') return;
        for (const connection of presenting) connection.socket.close(4403, SESSION_ENDED);
      }),
    ).finally(() => (rechecking = false));
  }, intervalMs);
  recheck.unref();
  return () => clearInterval(recheck);
}
