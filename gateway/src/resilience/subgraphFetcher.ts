import { STATUS_CODES } from 'node:http';
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { BROWSER_SESSION_HEADERS, inClientSpan, serviceUnavailable, type Logger } from '@dorandoran/service-kit';
import CircuitBreaker from 'opossum';
import { Agent, Headers, type Dispatcher } from 'undici';
import type { BreakerSettings } from '../config';
import { InFlight } from '../deduplication';
import { CIRCUIT_STATE, type RouterMetrics } from '../metrics';

export interface SubgraphFetcherOptions {
  name: string;
  timeoutMs: number;
  connections: number;
  breaker: BreakerSettings;
  metrics: RouterMetrics;
  logger: Logger;
  /** Identical concurrent query fetches share one call (deduplication.ts); off, every fetch is made. */
  deduplicate: boolean;
}

export interface SubgraphFetcher {
  fetch: Fetcher;
  close(): Promise<void>;
}

/** Over this window the breaker counts failed fetches. */
const ROLLING_WINDOW_MS = 10_000;

/**
 * How the router reaches one subgraph: a keep-alive connection pool of its own, a timeout per
 * fetch, and a circuit breaker. A fetch that gets no answer counts as a failure; when enough of
 * the recent ones failed the breaker opens and fetches fail at once with SERVICE_UNAVAILABLE
 * naming the subgraph (the rest of the plan still runs: partial data). After `resetMs` one fetch
 * goes through as a probe; its success closes the breaker.
 */
export function createSubgraphFetcher(options: SubgraphFetcherOptions): SubgraphFetcher {
  const { name, metrics, logger } = options;
  const agent = new Agent({ connections: options.connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 });
  const attempt = async (url: string, init: FetcherRequestInit = {}) => {
    const stopTimer = metrics.subgraphFetchDuration.startTimer({ subgraph: name });
    try {
      const { origin, pathname, search } = new URL(url);
      return await inClientSpan('router', `subgraph ${name}`, { 'dorandoran.subgraph': name, 'url.full': url }, async (traceHeaders) =>
        responseOf(
          url,
          await agent.request({
            origin,
            path: pathname + search,
            method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
            body: init.body,
            headers: { ...init.headers, ...traceHeaders },
            signal: AbortSignal.timeout(options.timeoutMs),
          }),
        ),
      );
    } catch (error) {
      metrics.subgraphFetchErrors.inc({ subgraph: name, reason: (error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable' });
      throw error;
    } finally {
      stopTimer();
    }
  };
  const breaker = new CircuitBreaker(attempt, {
    timeout: false, // the fetch has its own timeout
    // opossum opens above its threshold; ours opens at it (half of the fetches failed: open).
    errorThresholdPercentage: options.breaker.errorThresholdPercentage - 0.01,
    volumeThreshold: options.breaker.volumeThreshold,
    resetTimeout: options.breaker.resetMs,
    rollingCountTimeout: ROLLING_WINDOW_MS,
  });
  metrics.circuitState.set({ subgraph: name }, CIRCUIT_STATE.closed);
  breaker.on('open', () => {
    metrics.circuitState.set({ subgraph: name }, CIRCUIT_STATE.open);
    logger.warn({ subgraph: name }, 'subgraph circuit opened: answering without it until a probe succeeds');
  });
  breaker.on('halfOpen', () => metrics.circuitState.set({ subgraph: name }, CIRCUIT_STATE.halfOpen));
  breaker.on('close', () => {
    metrics.circuitState.set({ subgraph: name }, CIRCUIT_STATE.closed);
    logger.info({ subgraph: name }, 'subgraph circuit closed');
  });
  breaker.on('reject', () => metrics.subgraphFetchErrors.inc({ subgraph: name, reason: 'circuit_open' }));

  const fire = async (url: string, init: FetcherRequestInit | undefined): Promise<FetcherResponse> => {
    try {
      return await breaker.fire(url, init);
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        throw serviceUnavailable(`The ${name} service is unavailable: it failed repeatedly, so the router stopped calling it for a few seconds. Try again shortly.`);
      }
      throw error;
    }
  };
  const inFlight = new InFlight<ReadAnswer>();

  return {
    fetch: (async (url, init) => {
      const key = options.deduplicate ? sharedFetchKey(url, init) : undefined;
      if (key === undefined) return fire(url, init);
      const { result, joined } = inFlight.run(key, async () => readAnswer(await fire(url, init)));
      if (joined) metrics.deduplicated.inc({ level: 'subgraph' });
      return answerFrom(await result);
    }) as Fetcher,
    async close() {
      breaker.shutdown();
      await agent.close();
    },
  };
}

/**
 * A subgraph's answer as the gateway's data source reads it, over undici's request() rather than
 * its fetch(): fetch builds WHATWG Request/Response objects and web streams for every call, which
 * the router's CPU profile showed as the largest single cost of a small query.
 */
function responseOf(url: string, answer: Dispatcher.ResponseData): FetcherResponse {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const { body, statusCode } = answer;
  return {
    url,
    status: statusCode,
    statusText: STATUS_CODES[statusCode] ?? '',
    ok: statusCode >= 200 && statusCode < 300,
    redirected: false,
    headers,
    get bodyUsed() {
      return body.bodyUsed;
    },
    text: () => body.text(),
    json: () => body.json(),
    arrayBuffer: () => body.arrayBuffer(),
    clone() {
      throw new Error('a subgraph response is read once; it cannot be cloned');
    },
  };
}

/**
 * Which fetches may share one call: a query (the gateway puts the operation's text first in the
 * body, and the planner prints a query as `query…` or `{…}`; anything else, a mutation above all,
 * is never shared) to the same URL with the same body and the same Authorization header. A
 * browser session's fetches to auth carry that browser's refresh token and are never shared.
 * The request id is left out: a shared fetch carries the first caller's.
 */
function sharedFetchKey(url: string, init: FetcherRequestInit | undefined): string | undefined {
  const body = init?.body;
  if (typeof body !== 'string' || !QUERY_BODY.test(body)) return undefined;
  // The gateway's data source hands over a plain object with lower-case names; anything else is not recognized, so not shared.
  const headers = init?.headers;
  if (!headers || Object.getPrototypeOf(headers) !== Object.prototype) return undefined;
  const named = headers as Record<string, string | undefined>;
  if (named[BROWSER_SESSION_HEADERS.optIn] !== undefined) return undefined;
  return `${url}\n${named.authorization ?? ''}\n${body}`;
}

const QUERY_BODY = /^\{"query":"(?:query(?![_0-9A-Za-z])|\{)/;

/** A subgraph's answer read to the end, for every fetch that shares it to parse on its own (the gateway merges into what it parses). */
interface ReadAnswer {
  url: string;
  status: number;
  statusText: string;
  headers: FetcherResponse['headers'];
  text: string;
}

async function readAnswer(response: FetcherResponse): Promise<ReadAnswer> {
  return { url: response.url, status: response.status, statusText: response.statusText, headers: response.headers, text: await response.text() };
}

function answerFrom(answer: ReadAnswer): FetcherResponse {
  const { status, text } = answer;
  let used = false;
  const read = () => {
    used = true;
    return text;
  };
  return {
    url: answer.url,
    status,
    statusText: answer.statusText,
    ok: status >= 200 && status < 300,
    redirected: false,
    headers: answer.headers,
    get bodyUsed() {
      return used;
    },
    text: async () => read(),
    json: async () => JSON.parse(read()),
    arrayBuffer: async () => new TextEncoder().encode(read()).buffer as ArrayBuffer,
    clone() {
      throw new Error('a subgraph response is read once; it cannot be cloned');
    },
  };
}
