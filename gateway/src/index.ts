import { createLogger, createRevocationStore, runUntilSignal } from '@dorandoran/service-kit';
import { loadRouterConfig } from './config';
import { startRouterService } from './service';

async function main() {
  const config = loadRouterConfig(process.env);
  const logger = createLogger('router', config.logLevel);
  const revocations = createRevocationStore(config.redisUrl, logger);
  const router = await startRouterService(config, { revocations: revocations.store, logger });
  console.log(`Router ready at ${router.url}`);
  runUntilSignal(logger, async () => {
    await router.close();
    await revocations.close();
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
