import path from 'node:path';
import { loadLocalSecret, SERVICE_ACCOUNT_EMAIL, startSubgraph, type RunningService, type SubgraphDeps, type SubgraphSpec } from '@dorandoran/service-kit';
import type { BatchConfig } from './config';
import { createContext, type BatchServices, type Context } from './context';
import { entities } from './entities';
import { jobDefinitions } from './jobs/definitions';
import { startJobEngine } from './jobs/engine';
import { createServiceClient } from './jobs/serviceClient';
import { migrations } from './migrations';
import { permissions } from './permissions';
import { reportHandlers } from './reports';
import { resolvers } from './resolvers';

export type BatchDeps = SubgraphDeps;

/**
 * The batch subgraph, declared: scheduled jobs (pg-boss) run through the router with the service
 * account, and the daily report from the events it consumes. The service kit's startSubgraph wires it.
 */
export const batchSubgraph: SubgraphSpec<BatchConfig, BatchDeps, BatchServices, Context> = {
  name: 'batch',
  schema: path.join(__dirname, '..', 'schema.graphql'),
  resolvers,
  permissions,
  entities,
  migrations,
  async services({ config, logger, database, em, routerSecret, onClose }) {
    const graph = createServiceClient({
      routerUrl: config.routerUrl,
      authUrl: config.authUrl,
      routerSecret,
      email: SERVICE_ACCOUNT_EMAIL,
      password: await loadLocalSecret('service-account-password', config.serviceAccountPassword, config.dataDir),
      timeoutMs: config.routerTimeoutMs,
      logger,
    });
    const engine = await startJobEngine({
      orm: database.orm,
      definitions: jobDefinitions(config, graph, () => em.fork()),
      timeZone: config.timeZone,
      retryLimit: config.retryLimit,
      retryDelaySeconds: config.retryDelaySeconds,
      cronCheckSeconds: config.cronCheckSeconds,
      sharedDatabase: database.mode === 'server',
      logger,
    });
    onClose(() => engine.stop());
    return { engine, timeZone: config.timeZone };
  },
  context: createContext,
  handlers: () => reportHandlers,
  metrics: ({ engine }) => engine.metrics,
  describe: ({ timeZone }) => ({ timeZone }),
};

/** Opens and migrates the batch database, starts the job engine, consumes the report events, then serves the subgraph. */
export function startBatchService(config: BatchConfig, deps: BatchDeps): Promise<RunningService> {
  return startSubgraph(batchSubgraph, config, deps);
}
