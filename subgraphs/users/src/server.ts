import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyMiddleware } from 'graphql-middleware';
import { parse } from 'graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createSubgraphServer, type EventRecorder, type Logger, type SubgraphServer, type TokenVerifier, type ReadinessCheck } from '@dorandoran/service-kit';
import { createContext, type AccessRevocation } from './context';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface UsersServerDeps {
  em: EntityManager;
  verifier: TokenVerifier;
  routerSecret: string;
  events: EventRecorder;
  access: AccessRevocation;
  logger: Logger;
  mode: 'development' | 'production';
  readiness: Record<string, ReadinessCheck>;
}

/** The users subgraph's HTTP server, not yet listening. */
export function createUsersServer(deps: UsersServerDeps): Promise<SubgraphServer> {
  return createSubgraphServer({
    name: 'users',
    typeDefs,
    resolvers,
    protect: (schema) => applyMiddleware(schema, permissions),
    context: (identity) => createContext(deps, identity),
    verifier: deps.verifier,
    routerSecret: deps.routerSecret,
    logger: deps.logger,
    mode: deps.mode,
    readiness: deps.readiness,
  });
}
