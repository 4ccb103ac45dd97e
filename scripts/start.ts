/**
 * `npm start`: the whole supergraph in one process — auth, users, chat, store, batch and the router on their ports,
 * sharing one revocation store and one event transport (Redis when REDIS_URL is set, in-process otherwise) — and
 * the web app the router serves, built meanwhile when its sources changed since the last build.
 */
import type { RunningService } from '@dorandoran/service-kit';
import { buildWebIfChanged } from './buildWeb';

// Started first: loading the services' modules (in main) keeps this thread busy for seconds, which
// the build, in processes of its own, uses meanwhile. The handler only keeps Node from calling a
// failure unhandled before main awaits it.
const web = buildWebIfChanged();
web.catch(() => undefined);

async function main() {
  // Required rather than imported: static imports would load before the build starts.
  const { createEventTransport, createLogger, createRevocationStore, loadLocalSecret, loadRouterSecret, runUntilSignal, startTracing }: typeof import('@dorandoran/service-kit') =
    require('@dorandoran/service-kit');
  const { loadAuthConfig }: typeof import('@dorandoran/auth/config') = require('@dorandoran/auth/config');
  const { startAuthService }: typeof import('@dorandoran/auth/service') = require('@dorandoran/auth/service');
  const { loadUsersConfig }: typeof import('@dorandoran/users/config') = require('@dorandoran/users/config');
  const { startUsersService }: typeof import('@dorandoran/users/service') = require('@dorandoran/users/service');
  const { loadChatConfig }: typeof import('@dorandoran/chat/config') = require('@dorandoran/chat/config');
  const { startChatService }: typeof import('@dorandoran/chat/service') = require('@dorandoran/chat/service');
  const { loadStoreConfig }: typeof import('@dorandoran/store/config') = require('@dorandoran/store/config');
  const { startStoreService }: typeof import('@dorandoran/store/service') = require('@dorandoran/store/service');
  const { loadBatchConfig }: typeof import('@dorandoran/batch/config') = require('@dorandoran/batch/config');
  const { startBatchService }: typeof import('@dorandoran/batch/service') = require('@dorandoran/batch/service');
  const { loadRouterConfig }: typeof import('@dorandoran/gateway/config') = require('@dorandoran/gateway/config');
  const { startRouterService }: typeof import('@dorandoran/gateway/service') = require('@dorandoran/gateway/service');
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
    const { dataDir } = configs.router;
    // Secrets more than one service reads, made on a first start: two services making one at once
    // could read the file the other has created but not written yet.
    await loadRouterSecret(configs.router.routerSecret, dataDir);
    await loadLocalSecret('service-account-password', configs.batch.serviceAccountPassword, dataDir);
    // The subgraphs start side by side: none calls another while starting (their clients connect on
    // first use), and what one waits for (its database's files, its port) the others can use.
    const subgraphs = await Promise.allSettled([
      startAuthService(configs.auth, { ...deps, logger: logger.child({ service: 'auth' }) }),
      startUsersService(configs.users, { ...deps, logger: logger.child({ service: 'users' }) }),
      startChatService(configs.chat, { ...deps, logger: logger.child({ service: 'chat' }) }),
      startStoreService(configs.store, { ...deps, logger: logger.child({ service: 'store' }) }),
      startBatchService(configs.batch, { ...deps, logger: logger.child({ service: 'batch' }) }),
    ]);
    for (const subgraph of subgraphs) if (subgraph.status === 'fulfilled') started.push(subgraph.value);
    const failed = subgraphs.find((subgraph) => subgraph.status === 'rejected');
    if (failed) throw failed.reason;
    const built = await web;
    if (built.built) console.log(`Built the web app (its sources changed since the last build) in ${built.seconds.toFixed(1)} s.`);
    // The router last: it takes requests as soon as it listens, and then its subgraphs and the
    // whole web app are there.
    started.push(await startRouterService(configs.router, { ...deps, logger: logger.child({ service: 'router' }) }));
  } catch (error) {
    await stopAll();
    throw error;
  }
  const router = started[started.length - 1];
  const mode = configs.router.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${configs.router.dataDir}/`;
  console.log(`\nDoranDoran is up in ${(performance.now() / 1000).toFixed(1)} s (${mode}, ${configs.router.redisUrl ? 'Redis' : 'in-process stores'}).`);
  console.log(`Web app: ${new URL('/', router.url).href}\nGraphQL: ${router.url}\nStop with Ctrl-C.\n`);
  runUntilSignal(logger, stopAll);
}

main().catch(async (error) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : error}`);
  // A build under way finishes first: left running, it would race the next start's build in web/dist.
  await web.catch(() => undefined);
  process.exit(1);
});
