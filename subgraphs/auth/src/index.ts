import { createLogger, createRevocationStore, runUntilSignal } from '@dorandoran/service-kit';
import { loadAuthConfig } from './config';
import { startAuthService } from './service';

async function main() {
  const config = loadAuthConfig(process.env);
  const logger = createLogger('auth', config.logLevel);
  const revocations = createRevocationStore(config.redisUrl, logger);
  const service = await startAuthService(config, { revocations: revocations.store, logger });
  logger.info({ url: service.url }, 'auth subgraph ready');
  runUntilSignal(logger, async () => {
    await service.close();
    await revocations.close();
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
