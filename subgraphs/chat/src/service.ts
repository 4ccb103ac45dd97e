import {
  createLogger,
  createPubSub,
  createRemoteTokenVerifier,
  databaseTarget,
  loadRouterSecret,
  openDatabase,
  startServiceEvents,
  type DatabaseTarget,
  type EventTransport,
  type Logger,
  type RevocationStore,
  type RunningService,
  serviceReadiness,
} from '@dorandoran/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChatConfig } from './config';
import { entities } from './entities';
import { migrations } from './migrations';
import { removeDeletedUser } from './rooms';
import { createRoomFeed } from './roomFeed';
import { createChatServer } from './server';
import { createUsersClient } from './usersClient';

export interface ChatDeps {
  revocations: RevocationStore;
  events: EventTransport;
  logger?: Logger;
  /** Overrides where data lives (tests). */
  database?: DatabaseTarget;
}

/** Opens and migrates the chat database, then serves the subgraph (HTTP and graphql-ws) on config.port. */
export async function startChatService(config: ChatConfig, deps: ChatDeps): Promise<RunningService> {
  const logger = deps.logger ?? createLogger('chat', config.logLevel);
  const database = await openDatabase({
    service: 'chat',
    entities,
    migrations,
    logger,
    ...(deps.database ?? databaseTarget(config)),
  });
  const routerSecret = await loadRouterSecret(config.routerSecret, config.dataDir);
  const pubsub = createPubSub(config.redisUrl, logger);
  const users = createUsersClient({ url: config.usersUrl, timeoutMs: config.usersTimeoutMs, routerSecret, logger });
  const feed = createRoomFeed(pubsub, logger);
  const events = await startServiceEvents({
    service: 'chat',
    orm: database.orm,
    transport: deps.events,
    logger,
    handlers: { 'user.deleted': (event, em) => removeDeletedUser(em, feed, event.data.userId) },
  });
  const server = await createChatServer({
    readiness: serviceReadiness(database, deps.events),
    em: database.orm.em as EntityManager,
    verifier: createRemoteTokenVerifier(config, deps.revocations),
    routerSecret,
    chat: { users, feed, events: events.recorder },
    logger,
    mode: config.mode,
  });
  const port = await server.listen(config.port);
  logger.info({ port }, 'chat subgraph listening');
  return {
    name: 'chat',
    port,
    url: `http://localhost:${port}/graphql`,
    async close() {
      await server.close();
      await events.close();
      users.close();
      await pubsub.close();
      await database.close();
    },
  };
}
