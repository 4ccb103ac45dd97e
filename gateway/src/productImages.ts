import type { ApolloGateway } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import { HttpError, requestScope, type HttpRoute, type Logger } from '@dorandoran/service-kit';

/** Where product images are served: the same path on the router as on the store (Product.imageUrl). */
export const PRODUCT_IMAGES_PATH = '/product-images';
/** The store's own bound (150 KiB) with room to spare: a larger answer is not an image of ours. */
const MAX_IMAGE_BYTES = 256 * 1024;
/** What the store answers that the browser needs; nothing else of its response goes through. */
const PASSED_HEADERS = ['content-type', 'content-length', 'cache-control', 'etag', 'x-content-type-options', 'content-security-policy', 'retry-after'];

export interface ProductImageForwardOptions {
  /** The store's URL comes from the supergraph the gateway serves, unless overridden. */
  gateway: ApolloGateway;
  /** The router's URL override for a subgraph (`STORE_URL`), else the supergraph's. */
  subgraphUrl(name: string, supergraphUrl: string): string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * GET /product-images?id=…&v=… on the router, passed on to the store's own route (the store's
 * port is not published). Only GET, only this path and its two query parameters reach the store;
 * its answer comes back with the headers that make the image cacheable for a year and keep browsers
 * from sniffing it (the store sets them). 404 when the store has no such image (an old `v` too);
 * 503 with Retry-After when the store does not answer within the timeout or cannot be reached.
 */
export function forwardProductImages(options: ProductImageForwardOptions): HttpRoute {
  let base: URL | undefined;
  options.gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    const store = Supergraph.build(coreSupergraphSdl).subgraphsMetadata().find((subgraph) => subgraph.name === 'store');
    base = store && new URL(PRODUCT_IMAGES_PATH, options.subgraphUrl('store', store.url));
  });
  const unavailable = (why: string) => new HttpError(503, 'SERVICE_UNAVAILABLE', `The store ${why}; the image cannot be shown now. Try again shortly.`, { 'retry-after': '5' });

  return {
    method: 'GET',
    path: PRODUCT_IMAGES_PATH,
    async handle(req, res) {
      if (!base) throw unavailable('is not known yet (the supergraph has not loaded)');
      const asked = new URL(req.url ?? '/', 'http://localhost').searchParams;
      const target = new URL(base);
      for (const name of ['id', 'v']) {
        const value = asked.get(name);
        // Ids and hashes are short; anything longer is not a URL Product.imageUrl gave.
        if (value !== null && value.length <= 64) target.searchParams.set(name, value);
      }
      const requestId = requestScope.getStore()?.requestId;
      let response: Response;
      let body: Buffer;
      try {
        response = await fetch(target, { headers: requestId ? { 'x-request-id': requestId } : {}, signal: AbortSignal.timeout(options.timeoutMs) });
        body = Buffer.from(await response.arrayBuffer());
      } catch (error) {
        options.logger.warn({ err: (error as Error).message, target: target.origin }, 'product image not fetched from the store');
        throw unavailable((error as Error).name === 'TimeoutError' ? `did not answer within ${options.timeoutMs} ms` : 'is not reachable');
      }
      if (body.length > MAX_IMAGE_BYTES) throw unavailable('answered with more than an image');
      const headers: Record<string, string> = {};
      for (const name of PASSED_HEADERS) {
        const value = response.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      headers['x-content-type-options'] = 'nosniff';
      res.writeHead(response.status, headers);
      res.end(body);
    },
  };
}
