import autocannon from 'autocannon';
import { GATEWAY_LABELS, type Gateway } from './processes';
import { QUERIES, type QueryName } from './queries';

/** `connections` clients sending the query back to back for `seconds`; any error, timeout or non-2xx answer fails the run. */
export async function drive(gateway: Gateway, query: QueryName, seconds: number, connections: number): Promise<autocannon.Result> {
  const result = await Promise.race([
    autocannon({
      url: gateway.url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERIES[query] }),
      connections,
      duration: seconds,
      // A slow answer is latency, not a failure: under 50 connections the large query's tail
      // passes autocannon's default of 10 s.
      timeout: 120,
    }),
    gateway.exited,
  ]);
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(`${GATEWAY_LABELS[gateway.gateway]}, ${query} query: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers (${JSON.stringify(result.statusCodeStats)})`);
  }
  return result;
}
