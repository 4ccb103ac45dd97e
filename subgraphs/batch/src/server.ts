import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyMiddleware } from 'graphql-middleware';
import { parse } from 'graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createSubgraphServer, type Logger, type SubgraphServer, type TokenVerifier, type ReadinessCheck } from '@dorandoran/service-kit';
import { createContext, type BatchServices } from './context';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface BatchServerDeps {
  em: EntityManager;
  verifier: TokenVerifier;
  routerSecret: string;
  batch: BatchServices;
  logger: Logger;
  mode: 'development' | 'production';
  readiness: Record<string, ReadinessCheck>;
}

/** The batch subgraph's HTTP server, not yet listening. */
export function createBatchServer(deps: BatchServerDeps): Promise<SubgraphServer> {
  return createSubgraphServer({
    name: 'batch',
    typeDefs,
    resolvers,
    protect: (schema) => applyMiddleware(schema, permissions),
    context: (identity) => createContext(deps.em, deps.batch, identity),
    verifier: deps.verifier,
    routerSecret: deps.routerSecret,
    logger: deps.logger,
    mode: deps.mode,
    readiness: deps.readiness,
  });
}
