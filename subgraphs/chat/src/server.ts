import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyMiddleware } from 'graphql-middleware';
import { parse } from 'graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createSubgraphServer, type Logger, type SubgraphServer, type TokenVerifier, type ReadinessCheck } from '@dorandoran/service-kit';
import { createContext, type ChatServices } from './context';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface ChatServerDeps {
  em: EntityManager;
  verifier: TokenVerifier;
  routerSecret: string;
  chat: ChatServices;
  logger: Logger;
  mode: 'development' | 'production';
  readiness: Record<string, ReadinessCheck>;
}

/** The chat subgraph's HTTP and graphql-ws server, not yet listening. */
export function createChatServer(deps: ChatServerDeps): Promise<SubgraphServer> {
  return createSubgraphServer({
    name: 'chat',
    typeDefs,
    resolvers,
    protect: (schema) => applyMiddleware(schema, permissions),
    context: (identity) => createContext(deps.em, deps.chat, identity),
    verifier: deps.verifier,
    routerSecret: deps.routerSecret,
    logger: deps.logger,
    mode: deps.mode,
    readiness: deps.readiness,
    subscriptions: true,
    health: async () => ({ subscriptions: deps.chat.feed.activeSubscriptions }),
  });
}
