import path from 'node:path';
import { readCommonConfig, readEnv, type CommonConfig, type Environment } from '@dorandoran/service-kit';

/** Subgraphs whose routing URL can be overridden with `<NAME>_URL` (docker compose does). */
export const KNOWN_SUBGRAPHS = ['auth', 'users', 'chat', 'store', 'batch'] as const;

export interface RouterConfig extends CommonConfig {
  port: number;
  /** The composed supergraph; watched and reloaded when it changes. */
  supergraphPath: string;
  /** Routing URL overrides by subgraph name; the rest come from the supergraph. */
  subgraphUrls: Readonly<Record<string, string>>;
  /** How often the supergraph file is checked for changes. */
  supergraphPollMs: number;
  subgraphTimeoutMs: number;
}

export function loadRouterConfig(env: Environment): RouterConfig {
  const read = readEnv(env);
  const subgraphUrls: Record<string, string> = {};
  for (const name of KNOWN_SUBGRAPHS) {
    const url = read.url(`${name.toUpperCase()}_URL`, undefined);
    if (url) subgraphUrls[name] = url;
  }
  return Object.freeze({
    ...readCommonConfig(env),
    port: read.int('ROUTER_PORT', 8080, { min: 0, max: 65535 }),
    supergraphPath: path.resolve(read.string('SUPERGRAPH_PATH', path.join(__dirname, '..', '..', 'supergraph.graphql'))),
    subgraphUrls: Object.freeze(subgraphUrls),
    supergraphPollMs: read.int('SUPERGRAPH_POLL_MS', 1000, { min: 50, max: 60000 }),
    subgraphTimeoutMs: read.int('SUBGRAPH_TIMEOUT_MS', 10000, { min: 100, max: 120000 }),
  });
}
