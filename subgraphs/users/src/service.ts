import path from 'node:path';
import { startSubgraph, type RunningService, type SubgraphDeps, type SubgraphSpec } from '@dorandoran/service-kit';
import type { UsersConfig } from './config';
import { createContext, type Context, type UsersServices } from './context';
import { signInHandlers } from './dormancy';
import { entities } from './entities';
import { migrations } from './migrations';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

export type UsersDeps = SubgraphDeps;

/** The users subgraph, declared: profiles and account status. The service kit's startSubgraph wires it. */
export const usersSubgraph: SubgraphSpec<UsersConfig, UsersDeps, UsersServices, Context> = {
  name: 'users',
  schema: path.join(__dirname, '..', 'schema.graphql'),
  resolvers,
  permissions,
  entities,
  migrations,
  services: ({ config, deps, events }) => ({ events, access: { revocations: deps.revocations, ttlSeconds: config.refreshTokenTtlSeconds } }),
  context: createContext,
  // users announces account changes (auth ends sessions on them) and follows sign-ins for dormancy.
  handlers: () => signInHandlers,
};

/** Opens and migrates the users database, then serves the subgraph on config.port. */
export function startUsersService(config: UsersConfig, deps: UsersDeps): Promise<RunningService> {
  return startSubgraph(usersSubgraph, config, deps);
}
