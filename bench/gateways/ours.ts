/**
 * Our router in its own process, as gateway/src/index.ts starts it but without runStandalone's
 * check that production has REDIS_URL (that check is about sharing revocations between separate
 * processes; the bench runs one router with in-memory stores). Everything else, settings included,
 * comes from the environment through loadRouterConfig, as in production.
 */
import { createLogger, createRevocationStore, runUntilSignal } from '@dorandoran/service-kit';
import { loadRouterConfig } from '@dorandoran/gateway/config';
import { startRouterService } from '@dorandoran/gateway/service';

async function main() {
  const config = loadRouterConfig(process.env);
  const logger = createLogger('router', config.logLevel);
  const revocations = createRevocationStore(config.redisUrl, logger);
  const router = await startRouterService(config, { revocations: revocations.store, logger });
  runUntilSignal(logger, async () => {
    await router.close();
    await revocations.close();
  });
}

main().catch((error) => {
  console.error(`router could not start: ${error instanceof Error ? error.stack : error}`);
  process.exit(1);
});
