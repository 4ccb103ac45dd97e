import type { DatabaseOptions } from './database';
import type { Logger } from './logger';

/** A started service, as the launcher and the tests see it. */
export interface RunningService {
  name: string;
  port: number;
  /** The GraphQL endpoint. */
  url: string;
  close(): Promise<void>;
}

/** Where a service keeps its data. Tests pass their own: a fresh server database, or in-memory PGlite. */
export type DatabaseTarget = Pick<DatabaseOptions, 'databaseUrl' | 'exactDatabase' | 'dataDir' | 'dropOnClose'>;

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
