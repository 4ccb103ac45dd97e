import path from 'node:path';
import { createPubSub, startSubgraph, type RunningService, type SubgraphDeps, type SubgraphSpec } from '@dorandoran/service-kit';
import type { ChatConfig } from './config';
import { createContext, type ChatServices, type Context } from './context';
import { entities } from './entities';
import { migrations } from './migrations';
import { permissions } from './permissions';
import { resolvers } from './resolvers';
import { createRoomFeed } from './roomFeed';
import { removeDeletedUser } from './rooms';
import { createUsersClient } from './usersClient';

export type ChatDeps = SubgraphDeps;

/** The chat subgraph, declared: rooms, messages and their live feed over graphql-ws. The service kit's startSubgraph wires it. */
export const chatSubgraph: SubgraphSpec<ChatConfig, ChatDeps, ChatServices, Context> = {
  name: 'chat',
  schema: path.join(__dirname, '..', 'schema.graphql'),
  resolvers,
  permissions,
  entities,
  migrations,
  services: ({ config, logger, routerSecret, events, onClose }) => {
    const pubsub = createPubSub(config.redisUrl, logger);
    onClose(() => pubsub.close());
    const users = createUsersClient({ url: config.usersUrl, timeoutMs: config.usersTimeoutMs, routerSecret, logger });
    onClose(() => users.close());
    return { users, feed: createRoomFeed(pubsub, logger), events };
  },
  context: createContext,
  handlers: ({ feed }) => ({ 'user.deleted': (event, em) => removeDeletedUser(em, feed, event.data.userId) }),
  subscriptions: true,
  health: ({ feed }) => ({ subscriptions: feed.activeSubscriptions }),
};

/** Opens and migrates the chat database, then serves the subgraph (HTTP and graphql-ws) on config.port. */
export function startChatService(config: ChatConfig, deps: ChatDeps): Promise<RunningService> {
  return startSubgraph(chatSubgraph, config, deps);
}
