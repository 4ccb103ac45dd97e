import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HttpRoute, ReadinessCheck } from './http';

/** Seconds; GraphQL requests here take from about a millisecond to the subgraph timeout. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How often the event loop's delay is sampled (nodejs_eventloop_lag_p50_seconds and the rest). */
const EVENT_LOOP_SAMPLE_MS = 100;

/** Distinct operation names kept as label values; more would let clients grow the series without bound. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface ServiceMetrics {
  /** Every series of this service, labelled `service`. */
  registry: Registry;
  /** Request duration by operation name and type, and errors by code, as clients saw them. */
  graphqlPlugin(): ApolloServerPlugin;
  /** GET /metrics in Prometheus' text format. */
  route(): HttpRoute;
}

/**
 * One registry per service: `npm start` runs every service in one process, and each must expose
 * only its own series, labelled with its name.
 */
export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // The event-loop delay histogram samples on a timer: prom-client's default of every 10 ms woke each
  // idle service 100 times a second, some 40 % of its idle CPU; every 100 ms still catches any stall
  // a 15-second scrape could show. Such a timer is never stopped, so it also outlives a closed service.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const requestDuration = new Histogram({
    name: 'graphql_request_duration_seconds',
    help: 'GraphQL request duration by operation name and type',
    labelNames: ['operation_name', 'operation_type'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'graphql_errors_total',
    help: 'Errors in GraphQL responses by extensions.code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const operationNames = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (operationNames.has(name)) return name;
    if (operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    operationNames.add(name);
    return name;
  };

  return {
    registry,
    graphqlPlugin: () => ({
      async requestDidStart() {
        const started = performance.now();
        return {
          async willSendResponse({ operation, operationName, response }) {
            requestDuration.observe(
              { operation_name: operationLabel(operationName ?? operation?.name?.value), operation_type: operation?.operation ?? 'none' },
              (performance.now() - started) / 1000,
            );
            if (response.body.kind !== 'single') return;
            for (const error of response.body.singleResult.errors ?? []) {
              const code = error.extensions?.code;
              errors.inc({ code: typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR' });
            }
          },
        };
      },
    }),
    route: () => ({
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(await registry.metrics());
      },
    }),
  };
}

/** As long as /ready gives each check. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * `readiness_check_up{check}`: /ready's checks (database, redis, supergraph), run when Prometheus
 * scrapes; 1 when one passed within 2 s. A lost database or Redis then shows as such, not as a
 * failed scrape (a service that is down shows as `up` 0).
 */
export function observeReadiness(registry: Registry, checks: () => Record<string, ReadinessCheck>): void {
  new Gauge({
    name: 'readiness_check_up',
    help: 'Readiness checks (database, redis, supergraph) at scrape time: 1 passed within 2 s, 0 failed',
    labelNames: ['check'] as const,
    registers: [registry],
    async collect() {
      const results = await Promise.all(
        Object.entries(checks()).map(async ([check, run]) => {
          try {
            await Promise.race([run(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref())]);
            return [check, 1] as const;
          } catch {
            return [check, 0] as const;
          }
        }),
      );
      for (const [check, value] of results) this.set({ check }, value);
    },
  });
}

export type { Metric } from 'prom-client';
