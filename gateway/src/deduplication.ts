import type { GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import type { FormattedExecutionResult } from 'graphql';
import type { RouterContext } from './context';

/**
 * Calls under way, by key: a call made while an identical one is under way waits for that one's
 * result (or failure) instead of making its own. The entry goes when the call settles, so nothing
 * is cached beyond the call's own lifetime.
 */
export class InFlight<T> {
  private readonly running = new Map<string, { result: Promise<T>; joiners: number }>();

  /** `joined` is true when this caller shares a call another started. */
  run(key: string, call: () => Promise<T>): { result: Promise<T>; joined: boolean } {
    const running = this.running.get(key);
    if (running) {
      running.joiners++;
      return { result: running.result, joined: true };
    }
    const entry = { result: call(), joiners: 0 };
    this.running.set(key, entry);
    const forget = () => {
      if (this.running.get(key) === entry) this.running.delete(key);
    };
    entry.result.then(forget, forget);
    return { result: entry.result, joined: false };
  }

  /** How many callers besides the first share the call under `key` now (0 when none is under way). */
  joinersOf(key: string): number {
    return this.running.get(key)?.joiners ?? 0;
  }
}

type ExecutionResult = Awaited<ReturnType<GatewayExecutor>>;

/**
 * What two operations must have in common to share one execution: a query (never a mutation or a
 * subscription), the same text, operation name and variables, and the same caller: the exact
 * Authorization header, which is what reaches the subgraphs and decides what the auth filter
 * removes. A browser session's request is never shared: auth's answer sets that browser's cookie.
 * The request id is not part of it: a shared execution carries the first request's id to the subgraphs.
 */
function sharingKey(requestContext: GatewayGraphQLRequestContext): string | undefined {
  if (requestContext.operation.operation !== 'query') return undefined;
  const context = requestContext.context as RouterContext;
  if (context.browserSession) return undefined;
  const variables = variablesJson(requestContext.request.variables);
  if (variables === undefined) return undefined;
  // The variables' JSON has no raw line break, so the text (last, and free to hold any) cannot blur the fields before it.
  return `${context.viewer?.authorization ?? ''}\n${requestContext.operationName ?? ''}\n${variables}\n${requestContext.source}`;
}

/** Variables nested too deep for JSON.stringify are not shared: the gateway's own coercion refuses them as bad input. */
function variablesJson(variables: Record<string, unknown> | undefined): string | undefined {
  try {
    return JSON.stringify(variables ?? {});
  } catch {
    return undefined;
  }
}

export interface QueryDeduplication {
  /** The gateway whose identical concurrent queries share one execution. */
  gateway: GatewayInterface;
  /**
   * Apollo Server's `stringifyResult`: the `data` of a result that several requests share is
   * serialized once; the rest (errors formatted per request, extensions) as for any result.
   */
  stringifyResult(value: FormattedExecutionResult): string;
}

/**
 * Inbound deduplication, as Apollo Router's `traffic_shaping.deduplicate_query` and Hive Gateway do
 * it: identical queries from the same caller that arrive while one of them is being executed wait
 * for that execution instead of planning and fetching again. Everything before the executor (the
 * budgets, the operation limits, the access log) still runs for every request; everything after it
 * (error formatting, the HTTP status) too, on the shared result. A caller that goes away does not
 * cancel the execution others wait for: nothing in it listens to the client's connection.
 */
export function deduplicateQueries(gateway: GatewayInterface, onShared: () => void): QueryDeduplication {
  const inFlight = new InFlight<{ result: ExecutionResult; cachePolicy: unknown }>();
  /** The `data` of results with more than one reader, and their JSON once it is made. */
  const serializedData = new WeakMap<object, string | null>();

  const wrap = (execute: GatewayExecutor): GatewayExecutor => async (requestContext) => {
    const key = sharingKey(requestContext);
    if (key === undefined) return execute(requestContext);
    const { result, joined } = inFlight.run(key, async () => {
      const executed = await execute(requestContext);
      // Joiners have all arrived by now; their data is worth serializing once.
      if (inFlight.joinersOf(key) > 0 && executed.data) serializedData.set(executed.data, null);
      return { result: executed, cachePolicy: requestContext.overallCachePolicy };
    });
    if (!joined) return (await result).result;
    onShared();
    const shared = await result;
    // What the subgraphs said about caching restricts every sharer's answer, as it did the first's.
    requestContext.overallCachePolicy.restrict(shared.cachePolicy);
    return shared.result;
  };

  return {
    gateway: {
      onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
      async load(options) {
        const loaded = await gateway.load(options);
        return { executor: loaded.executor && wrap(loaded.executor) };
      },
      stop: () => gateway.stop(),
    },
    stringifyResult(value) {
      const data = value.data;
      if (!data || !serializedData.has(data)) return `${JSON.stringify(value)}\n`;
      let dataJson = serializedData.get(data);
      if (!dataJson) serializedData.set(data, (dataJson = JSON.stringify(data)));
      // The same text JSON.stringify makes of { errors, data, extensions }, Apollo Server's field order.
      const fields: string[] = [];
      if (value.errors !== undefined) fields.push(`"errors":${JSON.stringify(value.errors)}`);
      fields.push(`"data":${dataJson}`);
      if (value.extensions !== undefined) fields.push(`"extensions":${JSON.stringify(value.extensions)}`);
      return `{${fields.join(',')}}\n`;
    },
  };
}
