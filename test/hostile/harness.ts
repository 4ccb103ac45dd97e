import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The hostile corpus' runner: sends one request as an attacker would (raw HTTP, paths not
 * normalised, any body), checks what came back, that the router still answers, and how much CPU
 * the request cost. The stack runs in this process, so the CPU measured here bounds the router's.
 */

export interface HttpRequest {
  /** @default 'POST' */
  method?: string;
  /** Sent as is: `/../etc/passwd` reaches the server unnormalised. @default '/graphql' */
  path?: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON (content-type application/json unless given); a string or Buffer as is. */
  body?: unknown;
}

export interface HttpResult {
  /** 0 when the connection was reset or timed out instead of answering. */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body, when it is JSON. */
  json?: { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, any> }[] };
  /** Why there is no status. */
  failure?: string;
}

/** One status or any of several (where the fixed behaviour may reasonably be either; see the report). */
type OneOf<T> = T | readonly T[];

export interface Expectation {
  status: OneOf<number>;
  /** The first error's extensions.code; null: no GraphQL error at all. */
  code: OneOf<string | null>;
  /** The first error's message must match. */
  message?: RegExp;
  /** Must not appear anywhere in the response (secrets, suggestions, tokens). */
  absent?: RegExp;
  /** Anything else this case checks about the response. */
  check?(result: HttpResult, fixtures: Fixtures): void;
}

export interface Fixtures {
  routerUrl: string;
  [name: string]: any;
}

export interface HttpCase extends Expectation {
  name: string;
  /** Requests sent first (a budget to spend); each must merely not fail with a 5xx. */
  before?(fixtures: Fixtures): HttpRequest[];
  request: HttpRequest | ((fixtures: Fixtures) => HttpRequest);
  /**
   * argon2id hashes the case's requests compute in all (one per sign-up): the price of a password,
   * bounded by the auth budget rather than by MAX_CPU_MS, so each is allowed on top of it.
   */
  passwordHashes?: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

export function send(routerUrl: string, req: HttpRequest): Promise<HttpResult> {
  const url = new URL(routerUrl);
  const headers: Record<string, string> = { ...req.headers };
  let body: Buffer | undefined;
  if (req.body !== undefined) {
    if (Buffer.isBuffer(req.body)) body = req.body;
    else if (typeof req.body === 'string') body = Buffer.from(req.body);
    else {
      body = Buffer.from(JSON.stringify(req.body));
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve) => {
    const outgoing = httpRequest(
      { host: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, port: url.port, method: req.method ?? 'POST', path: req.path ?? url.pathname, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => resolve({ status: 0, headers: {}, text: '', failure: `response: ${error.message}` }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: HttpResult['json'];
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    outgoing.setTimeout(REQUEST_TIMEOUT_MS, () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    // A server that stops reading and closes (a body too large) shows up here as a reset.
    outgoing.on('error', (error) => resolve({ status: 0, headers: {}, text: '', failure: `connection: ${error.message}` }));
    outgoing.end(body);
  });
}

export const graphql = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>, operationName?: string): HttpRequest => ({
  body: { query, ...(variables ? { variables } : {}), ...(operationName !== undefined ? { operationName } : {}) },
  headers,
});

/** Apollo's CSRF prevention lets a GET through only with a header a cross-site form cannot set. */
export const PREFLIGHTED = { 'apollo-require-preflight': 'true' };

export const get = (params: Record<string, string>, headers: Record<string, string> = PREFLIGHTED): HttpRequest => ({
  method: 'GET',
  path: `/graphql?${new URLSearchParams(params)}`,
  headers,
});

const asList = <T>(value: OneOf<T>): readonly T[] => (Array.isArray(value) ? value : [value as T]);

/** A stack frame in a response is an internal error leaking. */
const STACK_TRACE = /\bat [\w.<>]+ \(?[^)\s]*\.(ts|js):\d+/;

/** What every case must do, whatever it sends, then what this case must do. */
export function expectAnswer(result: HttpResult, expected: Expectation, fixtures: Fixtures): void {
  const firstError = result.json?.errors?.[0];
  const summary = `${result.status}${result.failure ? ` (${result.failure})` : ''} ${firstError ? `${firstError.extensions?.code}: ${firstError.message.slice(0, 200)}` : result.text.slice(0, 200)}`;
  if (!asList(expected.status).includes(result.status)) throw new Error(`expected HTTP ${asList(expected.status).join(' or ')}, got ${summary}`);
  expect(result.status).toBeLessThan(500);
  for (const error of result.json?.errors ?? []) expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
  expect(result.text).not.toMatch(STACK_TRACE);
  const code = firstError?.extensions?.code ?? null;
  if (!asList(expected.code).includes(code)) throw new Error(`expected code ${asList(expected.code).join(' or ')}, got ${summary}`);
  if (firstError) expect(firstError.message.length).toBeGreaterThan(10);
  if (expected.message) expect(firstError?.message).toMatch(expected.message);
  if (expected.absent) expect(result.text).not.toMatch(expected.absent);
  expected.check?.(result, fixtures);
}

const ROUTER_ALIVE_TIMEOUT_MS = 5000;

/**
 * The router still answers a plain query: a case did not wedge it. What a case costs is bounded by
 * its CPU time (MAX_CPU_MS), not here: a wall-clock second passed on CI beside the browser suite
 * (the 5 MB body, whose garbage this process also collects), so the bound is five.
 */
export async function expectRouterAlive(routerUrl: string): Promise<void> {
  const response = await fetch(routerUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __typename }' }),
    signal: AbortSignal.timeout(ROUTER_ALIVE_TIMEOUT_MS),
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
}

/**
 * Waits (at most 5 s) until this process has been idle for 50 ms. The stack runs in this process, so
 * the work earlier requests left behind (events being applied, the garbage of a 5 MB body) would
 * otherwise count against the next case: on CI a control request once measured 1.8 s that way.
 */
async function processIdle(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const before = process.cpuUsage();
    await sleep(50);
    const { user, system } = process.cpuUsage(before);
    if ((user + system) / 1000 < 5) return;
  }
}

/** CPU time (user + system, ms) this process spent while `work` ran, measured from an idle process. */
export async function cpuOf<T>(work: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  await processIdle();
  const before = process.cpuUsage();
  const result = await work();
  const { user, system } = process.cpuUsage(before);
  return { result, cpuMs: (user + system) / 1000 };
}

/** The most CPU a single hostile request may cost the router. */
export const MAX_CPU_MS = 1000;

/** One argon2id hash at auth's default cost: 43 ms of CPU on a quiet 2-core machine, 2.3× that in CI at load 8 and more. */
const PASSWORD_HASH_CPU_MS = 150;

/** Keeps each case's CPU time; prints the slowest once, for the record. */
export function cpuLedger(suite: string) {
  const spent: { name: string; cpuMs: number }[] = [];
  return {
    record(name: string, cpuMs: number) {
      spent.push({ name, cpuMs });
    },
    report() {
      if (!spent.length) return;
      const slowest = spent.reduce((a, b) => (b.cpuMs > a.cpuMs ? b : a));
      console.log(`${suite}: ${spent.length} cases; the slowest, "${slowest.name}", took ${slowest.cpuMs.toFixed(0)} ms of CPU`);
    },
  };
}

/** Runs a table of HTTP cases against the router, one test each. */
export function runHttpCases(title: string, cases: readonly HttpCase[], fixtures: () => Fixtures, ledger: ReturnType<typeof cpuLedger>): void {
  describe(title, () => {
    test.each(cases.map((c) => [c.name, c] as const))('%s', async (name, hostile) => {
      const f = fixtures();
      const earlierRequests = hostile.before?.(f) ?? [];
      const { result, cpuMs } = await cpuOf(async () => {
        for (const earlier of earlierRequests) {
          const spent = await send(f.routerUrl, earlier);
          expect(spent.status).toBeGreaterThan(0);
          expect(spent.status).toBeLessThan(500);
        }
        return send(f.routerUrl, typeof hostile.request === 'function' ? hostile.request(f) : hostile.request);
      });
      // The bound is per request: a case that first spends a budget sends several.
      const perRequest = (cpuMs - (hostile.passwordHashes ?? 0) * PASSWORD_HASH_CPU_MS) / (earlierRequests.length + 1);
      ledger.record(name, perRequest);
      expectAnswer(result, hostile, f);
      await expectRouterAlive(f.routerUrl);
      expect(perRequest).toBeLessThan(MAX_CPU_MS);
    });
  });
}
