import { createLogger, createRevocationStore, runUntilSignal } from '@dorandoran/service-kit';
import { loadUsersConfig } from './config';
import { startUsersService } from './service';

async function main() {
  const config = loadUsersConfig(process.env);
  const logger = createLogger('users', config.logLevel);
  const revocations = createRevocationStore(config.redisUrl, logger);
  const service = await startUsersService(config, { revocations: revocations.store, logger });
  runUntilSignal(logger, async () => {
    await service.close();
    await revocations.close();
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
