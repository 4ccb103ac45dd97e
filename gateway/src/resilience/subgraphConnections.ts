import type { Logger } from '@dorandoran/service-kit';
import type { RouterConfig } from '../config';
import type { RouterMetrics } from '../metrics';
import { SubgraphDataSource } from '../subgraphDataSource';
import { createSubgraphFetcher, type SubgraphFetcher } from './subgraphFetcher';

export interface SubgraphConnections {
  /** The routing URL the router uses for a subgraph: an override from the config, else the supergraph's. */
  urlOf(name: string, supergraphUrl: string): string;
  timeoutOf(name: string): number;
  /** A data source for the subgraph, over its fetcher (pool, timeout, breaker). */
  dataSource(name: string, supergraphUrl: string): SubgraphDataSource;
  close(): Promise<void>;
}

/**
 * The router's way to each subgraph: one fetcher per subgraph for the router's life, so that its
 * pool and breaker outlive supergraph reloads (the gateway builds new data sources on each).
 */
export function subgraphConnections(
  config: Pick<RouterConfig, 'subgraphUrls' | 'subgraphTimeoutMs' | 'subgraphConnections' | 'breaker' | 'deduplicate'>,
  routerSecret: string,
  metrics: RouterMetrics,
  logger: Logger,
): SubgraphConnections {
  const fetchers = new Map<string, SubgraphFetcher>();
  const timeoutOf = (name: string) => config.subgraphTimeoutMs[name] ?? config.subgraphTimeoutMs.default;
  const fetcherFor = (name: string) => {
    let fetcher = fetchers.get(name);
    if (!fetcher) {
      fetcher = createSubgraphFetcher({ name, timeoutMs: timeoutOf(name), connections: config.subgraphConnections, breaker: config.breaker, metrics, logger, deduplicate: config.deduplicate });
      fetchers.set(name, fetcher);
    }
    return fetcher;
  };
  const urlOf = (name: string, supergraphUrl: string) => config.subgraphUrls[name] ?? supergraphUrl;
  return {
    urlOf,
    timeoutOf,
    dataSource: (name, supergraphUrl) => new SubgraphDataSource({ name, url: urlOf(name, supergraphUrl), routerSecret, fetcher: fetcherFor(name).fetch, timeoutMs: timeoutOf(name) }),
    async close() {
      for (const fetcher of fetchers.values()) await fetcher.close();
    },
  };
}
