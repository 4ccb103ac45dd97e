/**
 * `node dist/deploy/migrate.js <service>`: a rollout's migration step, run by each pod's init container
 * before the service starts (deploy/kubernetes), so that a rollout's migrations run before any container
 * of the release serves. A service also migrates its database whenever it starts, one replica at a time
 * (under a lock on its own database, service-kit's openDatabase). Here the migrations run under a
 * PostgreSQL advisory lock per service (taken on the server's `postgres` database, which the service
 * opens anyway to create its own), so the first pod of a rollout applies them and the others wait, then
 * find nothing pending; the service that starts afterwards finds nothing pending either.
 */
import { Client } from 'pg';
import { createLogger, databaseTarget, openDatabase, type CommonConfig, type DatabaseOptions, type Environment } from '@dorandoran/service-kit';
import { loadAuthConfig } from '../subgraphs/auth/src/config';
import { entities as authEntities } from '../subgraphs/auth/src/entities';
import { migrations as authMigrations } from '../subgraphs/auth/src/migrations';
import { loadUsersConfig } from '../subgraphs/users/src/config';
import { entities as usersEntities } from '../subgraphs/users/src/entities';
import { migrations as usersMigrations } from '../subgraphs/users/src/migrations';
import { loadChatConfig } from '../subgraphs/chat/src/config';
import { entities as chatEntities } from '../subgraphs/chat/src/entities';
import { migrations as chatMigrations } from '../subgraphs/chat/src/migrations';
import { loadStoreConfig } from '../subgraphs/store/src/config';
import { entities as storeEntities } from '../subgraphs/store/src/entities';
import { migrations as storeMigrations } from '../subgraphs/store/src/migrations';
import { loadBatchConfig } from '../subgraphs/batch/src/config';
import { entities as batchEntities } from '../subgraphs/batch/src/entities';
import { migrations as batchMigrations } from '../subgraphs/batch/src/migrations';

interface ServiceSchema {
  loadConfig(env: Environment): CommonConfig & { exactDatabase?: boolean };
  entities: DatabaseOptions['entities'];
  migrations: DatabaseOptions['migrations'];
}

const SERVICES: Record<string, ServiceSchema> = {
  auth: { loadConfig: loadAuthConfig, entities: authEntities, migrations: authMigrations },
  users: { loadConfig: loadUsersConfig, entities: usersEntities, migrations: usersMigrations },
  chat: { loadConfig: loadChatConfig, entities: chatEntities, migrations: chatMigrations },
  store: { loadConfig: loadStoreConfig, entities: storeEntities, migrations: storeMigrations },
  batch: { loadConfig: loadBatchConfig, entities: batchEntities, migrations: batchMigrations },
};

/** Applies the service's pending migrations while holding its migration lock; returns how many ran. */
export async function migrateService(service: string, env: Environment): Promise<number> {
  const schema = SERVICES[service];
  if (!schema) throw new Error(`Unknown service "${service}"; one of ${Object.keys(SERVICES).join(', ')}`);
  const config = schema.loadConfig(env);
  if (!config.databaseUrl) throw new Error(`${service.toUpperCase()}_DATABASE_URL or DATABASE_URL must name the PostgreSQL server to migrate`);
  const logger = createLogger(`${service}-migrate`, config.logLevel);
  const admin = new URL(config.databaseUrl);
  admin.pathname = '/postgres';
  const lock = new Client({ connectionString: admin.toString() });
  await lock.connect();
  try {
    // Held by this connection: a step that dies mid-way releases it when the connection drops.
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`dorandoran migrations ${service}`]);
    // The server's clock, as the migrations table's executed_at is, read once the lock is ours.
    const lockedAt: Date = (await lock.query<{ now: Date }>('SELECT now()')).rows[0].now;
    const database = await openDatabase({ service, entities: schema.entities, migrations: schema.migrations, logger, ...databaseTarget(config) });
    try {
      const executed = await database.orm.getMigrator().getExecutedMigrations();
      const applied = executed.filter((migration) => new Date(migration.executed_at) >= lockedAt).length;
      logger.info({ applied, latest: executed.at(-1)?.name }, applied ? 'migrations applied' : 'no migrations pending');
      return applied;
    } finally {
      await database.close();
    }
  } finally {
    await lock.end();
  }
}

if (require.main === module) {
  migrateService(process.argv[2] ?? '', process.env).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`Migrations failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
