import {
  createLogger,
  createRemoteTokenVerifier,
  databaseTarget,
  loadLocalSecret,
  loadRouterSecret,
  openDatabase,
  SERVICE_ACCOUNT_EMAIL,
  startServiceEvents,
  type DatabaseTarget,
  type EventTransport,
  type Logger,
  type RevocationStore,
  type RunningService,
  serviceReadiness,
} from '@dorandoran/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { BatchConfig } from './config';
import { entities } from './entities';
import { jobDefinitions } from './jobs/definitions';
import { startJobEngine } from './jobs/engine';
import { createServiceClient } from './jobs/serviceClient';
import { migrations } from './migrations';
import { reportHandlers } from './reports';
import { createBatchServer } from './server';

export interface BatchDeps {
  revocations: RevocationStore;
  events: EventTransport;
  logger?: Logger;
  /** Overrides where data lives (tests). */
  database?: DatabaseTarget;
}

/** Opens and migrates the batch database, consumes the report events, starts the job engine, then serves the subgraph. */
export async function startBatchService(config: BatchConfig, deps: BatchDeps): Promise<RunningService> {
  const logger = deps.logger ?? createLogger('batch', config.logLevel);
  const database = await openDatabase({ service: 'batch', entities, migrations, logger, ...(deps.database ?? databaseTarget(config)) });
  const opened: (() => Promise<unknown>)[] = [() => database.close()];
  const closeAll = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };
  try {
    const em = database.orm.em as EntityManager;
    const routerSecret = await loadRouterSecret(config.routerSecret, config.dataDir);
    const graph = createServiceClient({
      routerUrl: config.routerUrl,
      authUrl: config.authUrl,
      routerSecret,
      email: SERVICE_ACCOUNT_EMAIL,
      password: await loadLocalSecret('service-account-password', config.serviceAccountPassword, config.dataDir),
      timeoutMs: config.routerTimeoutMs,
      logger,
    });
    const events = await startServiceEvents({ service: 'batch', orm: database.orm, transport: deps.events, logger, handlers: reportHandlers });
    opened.push(() => events.close());
    const engine = await startJobEngine({
      orm: database.orm,
      definitions: jobDefinitions(config, graph, () => em.fork()),
      timeZone: config.timeZone,
      retryLimit: config.retryLimit,
      retryDelaySeconds: config.retryDelaySeconds,
      cronCheckSeconds: config.cronCheckSeconds,
      logger,
    });
    opened.push(() => engine.stop());
    const server = await createBatchServer({
      readiness: serviceReadiness(database, deps.events),
      em,
      verifier: createRemoteTokenVerifier(config, deps.revocations),
      routerSecret,
      batch: { engine, timeZone: config.timeZone },
      logger,
      mode: config.mode,
    });
    opened.push(() => server.close());
    const port = await server.listen(config.port);
    logger.info({ port, timeZone: config.timeZone }, 'batch subgraph listening');
    return { name: 'batch', port, url: `http://localhost:${port}/graphql`, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
