import type { Database, DatabaseOptions } from './database';
import type { ReadinessCheck } from './http';
import { ConfigError, type CommonConfig, type Environment } from './config';
import { createLogger, type Logger } from './logger';
import { createEventTransport, type EventTransport } from './events';
import { createRevocationStore, type RevocationStore } from './revocations';
import { startTracing } from './tracing';

/** A started service, as the launcher and the tests see it. */
export interface RunningService {
  name: string;
  port: number;
  /** The GraphQL endpoint. */
  url: string;
  close(): Promise<void>;
}

/** Where a service keeps its data. Tests pass their own: a fresh server database, or in-memory PGlite. */
export type DatabaseTarget = Pick<DatabaseOptions, 'databaseUrl' | 'exactDatabase' | 'dataDir' | 'dropOnClose' | 'fromMigratedTemplate' | 'idleConnectionMs'>;

export function databaseTarget(config: { databaseUrl?: string; exactDatabase?: boolean; dataDir: string }): DatabaseTarget {
  return config.databaseUrl
    ? { databaseUrl: config.databaseUrl, exactDatabase: config.exactDatabase }
    : { dataDir: config.dataDir };
}

/** Runs until SIGINT/SIGTERM, then closes once; a second signal exits at once. */
export function runUntilSignal(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, 'shutting down');
    try {
      await close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export interface StandaloneDeps {
  revocations: RevocationStore;
  /** Where domain events travel: Redis Streams when REDIS_URL is set, the in-process log otherwise. */
  events: EventTransport;
  logger: Logger;
}

/**
 * A service's own process (`npm run start:<service>`, one container): reads its config, opens the
 * shared revocation store and event transport, starts, and closes everything on SIGINT/SIGTERM. A bad config or a
 * failed start exits with the reason.
 */
export function runStandalone<TConfig extends CommonConfig>(
  name: string,
  loadConfig: (env: Environment) => TConfig,
  start: (config: TConfig, deps: StandaloneDeps) => Promise<RunningService>,
): void {
  const run = async () => {
    const config = loadConfig(process.env);
    if (config.mode === 'production' && !config.redisUrl) {
      // Tokens are verified in each process: only a shared list makes a sign-out reach all of them.
      throw new ConfigError('REDIS_URL', 'must be set in production when services run as separate processes (revocations are shared through it)');
    }
    if (config.mode === 'production' && !config.routerSecret) {
      // Unset, each process would make its own under its DATA_DIR, and every subgraph would refuse the router.
      throw new ConfigError('ROUTER_SECRET', 'must be set in production, the same on the router and every subgraph (subgraphs answer GraphQL only to a caller presenting it)');
    }
    const logger = createLogger(name, config.logLevel);
    const tracing = startTracing({ serviceName: process.env.OTEL_SERVICE_NAME ?? name, endpoint: config.otlpEndpoint });
    const revocations = createRevocationStore(config.redisUrl, logger);
    const events = createEventTransport(config.redisUrl, logger);
    const closeShared = async () => {
      await events.close();
      await revocations.close();
      await tracing?.shutdown();
    };
    const service = await start(config, { revocations: revocations.store, events, logger }).catch(async (error) => {
      await closeShared();
      throw error;
    });
    logger.info({ url: service.url }, `${name} ready`);
    runUntilSignal(logger, async () => {
      await service.close();
      await closeShared();
    });
  };
  run().catch((error) => {
    console.error(`${name} could not start: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}

/** What a subgraph's /ready checks: its database, and Redis when events travel through it. */
export function serviceReadiness(database: Pick<Database, 'ping'>, events: EventTransport): Record<string, ReadinessCheck> {
  return { database: () => database.ping(), ...(events.kind === 'redis' ? { redis: () => events.ping() } : {}) };
}
