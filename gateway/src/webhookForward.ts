import type { ApolloGateway } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import { HttpError, readBody, requestScope, type HttpRoute, type Logger } from '@dorandoran/service-kit';

/** Where the payment provider posts its notifications: the same path on the router as on the store. */
export const PAYMENT_WEBHOOK_PATH = '/webhooks/payments';
/** The store's own bound for one notification; a larger one is refused here without reaching it. */
const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/** Toss's headers (`tosspayments-webhook-signature`, `…-transmission-time`, `…-transmission-id`) carry what the store verifies. */
const PROVIDER_HEADER = /^tosspayments-/;

export interface PaymentWebhookForwardOptions {
  /** The store's URL comes from the supergraph the gateway serves, unless overridden. */
  gateway: ApolloGateway;
  /** The router's URL override for a subgraph (`STORE_URL`), else the supergraph's. */
  subgraphUrl(name: string, supergraphUrl: string): string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * POST /webhooks/payments on the router, passed on to the store's own route: the store's port is
 * not published, so the provider reaches it only here, on a path that carries no GraphQL. The
 * body and the provider's headers go through unchanged (the store checks the signature over
 * them), and the store's answer comes back as it is, so the provider retries what the store
 * did not apply. A store that does not answer within the timeout is a 503, which the provider
 * retries too.
 */
export function forwardPaymentWebhooks(options: PaymentWebhookForwardOptions): HttpRoute {
  let target: URL | undefined;
  options.gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    const store = Supergraph.build(coreSupergraphSdl).subgraphsMetadata().find((subgraph) => subgraph.name === 'store');
    target = store && new URL(PAYMENT_WEBHOOK_PATH, options.subgraphUrl('store', store.url));
  });
  const unavailable = (why: string) =>
    new HttpError(503, 'SERVICE_UNAVAILABLE', `The store ${why}; the notification was not applied. Send it again later.`, { 'retry-after': '10' });

  return {
    method: 'POST',
    path: PAYMENT_WEBHOOK_PATH,
    async handle(req, res) {
      if (!target) throw unavailable('is not known yet (the supergraph has not loaded)');
      const body = await readBody(req, MAX_WEBHOOK_BODY_BYTES);
      const requestId = requestScope.getStore()?.requestId;
      const headers: Record<string, string> = requestId ? { 'x-request-id': requestId } : {};
      for (const [name, value] of Object.entries(req.headers)) {
        if ((name === 'content-type' || PROVIDER_HEADER.test(name)) && typeof value === 'string') headers[name] = value;
      }
      let status: number;
      let answer: Buffer;
      let contentType: string;
      try {
        const response = await fetch(target, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
        answer = Buffer.from(await response.arrayBuffer());
        status = response.status;
        contentType = response.headers.get('content-type') ?? 'application/json; charset=utf-8';
      } catch (error) {
        options.logger.warn({ err: (error as Error).message, target: target.origin }, 'payment webhook not forwarded to the store');
        throw unavailable((error as Error).name === 'TimeoutError' ? `did not answer within ${options.timeoutMs} ms` : 'is not reachable');
      }
      res.writeHead(status, { 'content-type': contentType });
      res.end(answer);
    },
  };
}
