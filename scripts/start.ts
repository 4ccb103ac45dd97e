/**
 * `npm start`: the whole supergraph in one process — auth, users, chat, store, batch and the router on their ports,
 * sharing one revocation store and one event transport (Redis when REDIS_URL is set, in-process otherwise).
 */
import { createEventTransport, createLogger, createRevocationStore, runUntilSignal, startTracing, type RunningService } from '@dorandoran/service-kit';
import { loadAuthConfig } from '../subgraphs/auth/src/config';
import { startAuthService } from '../subgraphs/auth/src/service';
import { loadUsersConfig } from '../subgraphs/users/src/config';
import { startUsersService } from '../subgraphs/users/src/service';
import { loadChatConfig } from '../subgraphs/chat/src/config';
import { startChatService } from '../subgraphs/chat/src/service';
import { loadStoreConfig } from '../subgraphs/store/src/config';
import { startStoreService } from '../subgraphs/store/src/service';
import { loadBatchConfig } from '../subgraphs/batch/src/config';
import { startBatchService } from '../subgraphs/batch/src/service';
import { loadRouterConfig } from '../gateway/src/config';
import { startRouterService } from '../gateway/src/service';

async function main() {
  const configs = {
    auth: loadAuthConfig(process.env),
    users: loadUsersConfig(process.env),
    chat: loadChatConfig(process.env),
    // A first local run has products to buy; SAMPLE_CATALOG=false starts with an empty shelf.
    store: loadStoreConfig({ SAMPLE_CATALOG: String(process.env.NODE_ENV !== 'production'), ...process.env }),
    batch: loadBatchConfig(process.env),
    router: loadRouterConfig(process.env),
  };
  const logger = createLogger('dorandoran', configs.router.logLevel);
  // One process runs every service: one trace provider, spans told apart by their tracer's name.
  const tracing = startTracing({ serviceName: process.env.OTEL_SERVICE_NAME ?? 'dorandoran', endpoint: configs.router.otlpEndpoint });
  const revocations = createRevocationStore(configs.router.redisUrl, logger);
  const events = createEventTransport(configs.router.redisUrl, logger);
  const started: RunningService[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.close();
    await events.close();
    await revocations.close();
    await tracing?.shutdown();
  };
  try {
    const deps = { revocations: revocations.store, events };
    started.push(await startAuthService(configs.auth, { ...deps, logger: logger.child({ service: 'auth' }) }));
    started.push(await startUsersService(configs.users, { ...deps, logger: logger.child({ service: 'users' }) }));
    started.push(await startChatService(configs.chat, { ...deps, logger: logger.child({ service: 'chat' }) }));
    started.push(await startStoreService(configs.store, { ...deps, logger: logger.child({ service: 'store' }) }));
    started.push(await startBatchService(configs.batch, { ...deps, logger: logger.child({ service: 'batch' }) }));
    started.push(await startRouterService(configs.router, { ...deps, logger: logger.child({ service: 'router' }) }));
  } catch (error) {
    await stopAll();
    throw error;
  }
  const router = started[started.length - 1];
  const mode = configs.router.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${configs.router.dataDir}/`;
  console.log(`\nDoranDoran is up (${mode}, ${configs.router.redisUrl ? 'Redis' : 'in-process stores'}).`);
  console.log(`Web app: ${new URL('/', router.url).href}\nGraphQL: ${router.url}\nStop with Ctrl-C.\n`);
  runUntilSignal(logger, stopAll);
}

main().catch((error) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
