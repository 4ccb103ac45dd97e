import { Counter, Gauge, Histogram } from 'prom-client';
import { createServiceMetrics, DURATION_BUCKETS, type ServiceMetrics } from '@dorandoran/service-kit';

/** Breaker state as a number, so that a graph shows it: closed 0, half-open 1, open 2. */
export const CIRCUIT_STATE = { closed: 0, halfOpen: 1, open: 2 } as const;

export interface RouterMetrics extends ServiceMetrics {
  subgraphFetchDuration: Histogram<'subgraph'>;
  subgraphFetchErrors: Counter<'subgraph' | 'reason'>;
  circuitState: Gauge<'subgraph'>;
  rateLimited: Counter<'limit'>;
  limitRejected: Counter<'limit'>;
  /** Requests that waited for an identical one under way instead of running (deduplication.ts). */
  deduplicated: Counter<'level'>;
  /** Entities looked up in the entity cache (entityCache/): the hit ratio is hit / (hit + miss). */
  entityCache: Counter<'subgraph' | 'result'>;
  /** Reads the live WebSocket counts when Prometheus scrapes. */
  observeSockets(stats: () => { connections: number; subscriptions: number }): void;
}

/** The router's series beside the GraphQL ones every service has (docs/ARCHITECTURE.md, Observability). */
export function createRouterMetrics(): RouterMetrics {
  const base = createServiceMetrics('router');
  const registers = [base.registry];
  let sockets: () => { connections: number; subscriptions: number } = () => ({ connections: 0, subscriptions: 0 });
  new Gauge({
    name: 'websocket_connections_active',
    help: 'Open graphql-ws connections from clients',
    registers,
    collect() {
      this.set(sockets().connections);
    },
  });
  new Gauge({
    name: 'subscriptions_active',
    help: 'Client subscriptions running',
    registers,
    collect() {
      this.set(sockets().subscriptions);
    },
  });
  return {
    ...base,
    subgraphFetchDuration: new Histogram({
      name: 'subgraph_fetch_duration_seconds',
      help: 'Duration of the router\'s fetches to each subgraph, until the response headers',
      labelNames: ['subgraph'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    subgraphFetchErrors: new Counter({
      name: 'subgraph_fetch_errors_total',
      help: 'Subgraph fetches without an answer, by reason: unreachable, timeout, circuit_open',
      labelNames: ['subgraph', 'reason'] as const,
      registers,
    }),
    circuitState: new Gauge({
      name: 'subgraph_circuit_state',
      help: 'Circuit breaker per subgraph: 0 closed, 1 half-open, 2 open',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    rateLimited: new Counter({
      name: 'rate_limited_total',
      help: 'Requests refused with RATE_LIMITED, by budget: ip, user, auth, cost',
      labelNames: ['limit'] as const,
      registers,
    }),
    limitRejected: new Counter({
      name: 'operation_limit_rejected_total',
      help: 'Operations refused by an operation limit: depth, aliases, root_fields, tokens, directives, cost, body_size, safelist',
      labelNames: ['limit'] as const,
      registers,
    }),
    deduplicated: new Counter({
      name: 'deduplicated_requests_total',
      help: 'Requests that shared an identical one under way, by level: operation (a client query), subgraph (a subgraph fetch)',
      labelNames: ['level'] as const,
      registers,
    }),
    entityCache: new Counter({
      name: 'entity_cache_lookups_total',
      help: 'Entities the entity cache was asked for, by subgraph and result: hit, miss, unavailable (the store failed; fetched from the subgraph)',
      labelNames: ['subgraph', 'result'] as const,
      registers,
    }),
    observeSockets(stats) {
      sockets = stats;
    },
  };
}
