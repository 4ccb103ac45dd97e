import { createHash } from 'node:crypto';
import { MikroORM, type Constructor, type EntityClass, type Options } from '@mikro-orm/postgresql';
import { Migrator, type Migration } from '@mikro-orm/migrations';
import { Client } from 'pg';
import { DEFAULT_DATABASE_TIMEOUT_MS } from './config';
import { startEmbeddedDatabase } from './embeddedDatabase';
import type { Logger } from './logger';

export interface DatabaseOptions {
  /** The service name; embedded data lives in `<dataDir>/<service>/pgdata`, server databases are `dorandoran_<service>`. */
  service: string;
  entities: EntityClass<unknown>[];
  migrations: Constructor<Migration>[];
  /** A PostgreSQL URL. With a path (`…/name`) that names a database it is used as is when `exactDatabase` is set. */
  databaseUrl?: string;
  /** Use the database named in `databaseUrl` instead of `dorandoran_<service>`. */
  exactDatabase?: boolean;
  /** For embedded mode: where to keep data. Unset means an in-memory database (tests). */
  dataDir?: string;
  /** Drop the server database on close (tests). */
  dropOnClose?: boolean;
  /**
   * Tests: a new database is a copy of one already migrated to these migrations instead of an empty
   * one that runs every migration. On a server the template is a database,
   * `template_<service>_<hash of the migrations>` (1.1 s of the server's CPU less per new database);
   * in memory it is an image of a PGlite cluster in the temporary folder (embeddedDatabase.ts).
   */
  fromMigratedTemplate?: boolean;
  /**
   * How long a server connection the pool no longer uses stays open (30 s, the pool's default, when
   * unset). Tests close theirs after a second: stacks side by side otherwise held up to 95 idle
   * connections of PostgreSQL's 100.
   */
  idleConnectionMs?: number;
  /** DATABASE_TIMEOUT_MS: how long the service waits on its database for one thing (databaseLimits). */
  timeoutMs?: number;
  logger: Logger;
}

/**
 * How long one answer from the database may take before the client gets SERVICE_UNAVAILABLE
 * (databaseFailure) instead of a request that hangs until the router's subgraph timeout and holds a
 * connection after that. For `timeoutMs`:
 * - waiting for a pooled connection (every one busy, or PGlite's single one held): `timeoutMs`;
 * - connecting: `timeoutMs`;
 * - a statement, lock waits included: the server cancels it after `timeoutMs` (statement_timeout);
 * - a transaction left idle (a process stuck half-way) is ended by the server after `timeoutMs`, so it
 *   does not hold its locks;
 * - no answer at all (the server or the network stalled, which the server's own timeouts cannot
 *   catch): the client gives up a second after the server would have, and the pool replaces that
 *   connection instead of queueing the next statement behind the lost one.
 * PGlite runs in the service's own thread and ignores statement_timeout, so embedded mode has only
 * the pool's wait. Migrations run without these limits (migrateOnServer).
 */
function databaseLimits(timeoutMs: number, embedded: boolean) {
  const acquireConnectionTimeout = timeoutMs;
  if (embedded) return { acquireConnectionTimeout };
  return {
    acquireConnectionTimeout,
    connection: {
      connectionTimeoutMillis: timeoutMs,
      statement_timeout: timeoutMs,
      idle_in_transaction_session_timeout: timeoutMs,
      query_timeout: timeoutMs + 1000,
    },
    pool: { validate: answeredEverything },
  };
}

/** knex's own warnings (a connection the pool dropped, say) into the service's log instead of stdout. */
const knexLog = (logger: Logger) => ({
  warn: (message: unknown) => logger.warn({ knex: message }, 'database pool'),
  error: (message: unknown) => logger.error({ knex: message }, 'database pool'),
  deprecate: (message: unknown) => logger.debug({ knex: message }, 'database pool'),
  debug: (message: unknown) => logger.debug({ knex: message }, 'database pool'),
});

/** pg's client: `readyForQuery` is false while a statement it gave up on (query_timeout) is still unanswered. */
const answeredEverything = (connection: { readyForQuery?: boolean }) => connection.readyForQuery !== false;

export interface Database {
  orm: MikroORM;
  /** Where the ORM connects: a server URL, or the embedded database's socket. */
  mode: 'server' | 'embedded';
  /** Rejects when the database does not answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the service's own database (a server's, or embedded PGlite) and runs its committed migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const target = options.databaseUrl ? await prepareServerDatabase(options) : await embeddedTarget(options);
  let orm: MikroORM | undefined;
  try {
    if (!target.embedded) await migrateOnServer(target, options);
    orm = await MikroORM.init({
      ...ormOptions(options),
      clientUrl: target.url,
      // PGlite is single-connection: one pooled connection keeps transactions from interleaving.
      pool: target.embedded
        ? { min: 1, max: 1 }
        : { min: 0, max: 10, ...(options.idleConnectionMs ? { idleTimeoutMillis: options.idleConnectionMs } : {}) },
      driverOptions: { ...databaseLimits(options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS, target.embedded), log: knexLog(options.logger) },
    });
    if (target.embedded) await orm.getMigrator().up();
  } catch (error) {
    await orm?.close(true);
    await target.close();
    throw error;
  }
  return {
    orm,
    mode: target.embedded ? 'embedded' : 'server',
    async ping() {
      await orm.em.getConnection().execute('select 1');
    },
    async close() {
      await orm.close(true);
      await target.close();
    },
  };
}

/**
 * Runs the pending migrations on a server, through an ORM of its own without the service's
 * statement timeout (an index built on a big table takes as long as it takes). Replicas of a service
 * that start together would run the same migration at once and all but the first fail (`create type
 * … already exists`), so they take turns under an advisory lock on the service's own database: the
 * first applies what is pending, the others then find nothing to do. The lock is the session's: one
 * that dies mid-way lets go with it. Embedded, the service's ORM runs them: PGlite has no statement
 * timeout, and a second ORM would cost every `npm start` its start-up.
 */
async function migrateOnServer(target: Target, options: DatabaseOptions): Promise<void> {
  const lock = new Client({ connectionString: target.url });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext('dorandoran migrations'))");
    if (!(await allApplied(lock, options.migrations))) await migrateAt(target.url, options);
  } finally {
    await lock.end();
  }
}

/** Whether MikroORM's table lists every migration: then a start needs no ORM of its own to find nothing to do. */
async function allApplied(client: Client, migrations: Constructor<Migration>[]): Promise<boolean> {
  // A new database has no such table yet.
  const applied = await client.query<{ name: string }>('SELECT name FROM mikro_orm_migrations').catch(() => undefined);
  if (!applied) return false;
  const names = new Set(applied.rows.map((row) => row.name));
  return migrations.every((migration) => names.has(migration.name));
}

/** ORM options shared by the service and the migration generator. */
export function ormOptions(options: Pick<DatabaseOptions, 'entities' | 'migrations' | 'logger'>): Options {
  return {
    entities: options.entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: options.migrations.map((migration) => ({ name: migration.name, class: migration })),
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    discovery: { warnWhenNoEntities: false },
    logger: (message) => options.logger.debug({ orm: message }),
  };
}

interface Target {
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Names a list of migrations: a template migrated to it can stand in for running them. */
function migrationsFingerprint(migrations: Constructor<Migration>[]): string {
  const fingerprint = createHash('sha256');
  for (const migration of migrations) fingerprint.update(`${migration.name}\n${migration.toString()}\n`);
  return fingerprint.digest('hex').slice(0, 16);
}

/** Runs the migrations on the database at `url` through an ORM of its own (a template being made). */
async function migrateAt(url: string, options: DatabaseOptions): Promise<void> {
  const orm = await MikroORM.init({ ...ormOptions(options), clientUrl: url, pool: { min: 0, max: 1 } });
  try {
    await orm.getMigrator().up();
  } finally {
    await orm.close(true);
  }
}

async function embeddedTarget(options: DatabaseOptions): Promise<Target> {
  const database = await startEmbeddedDatabase({
    service: options.service,
    dataDir: options.dataDir,
    migratedTemplate: options.fromMigratedTemplate
      ? { fingerprint: migrationsFingerprint(options.migrations), migrateAt: (url) => migrateAt(url, options) }
      : undefined,
    logger: options.logger,
  });
  return { ...database, embedded: true };
}

async function prepareServerDatabase(options: DatabaseOptions): Promise<Target> {
  const url = new URL(options.databaseUrl!);
  const name = options.exactDatabase ? decodeURIComponent(url.pathname.slice(1)) : `dorandoran_${options.service}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Database name "${name}" must be lower-case letters, digits and _`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      const template = options.fromMigratedTemplate ? await migratedTemplate(client, admin, options) : undefined;
      const copy = template ? ` TEMPLATE "${template}" STRATEGY FILE_COPY` : '';
      await client.query(`CREATE DATABASE "${name}"${copy}`).catch((error: { code?: string }) => {
        // Another instance created it first: 42P04 when it had finished, a unique violation on
        // pg_database's name when both were creating it at once.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
      options.logger.info({ database: name }, 'created database');
    }
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    embedded: false,
    async close() {
      if (!options.dropOnClose) return;
      const dropper = new Client({ connectionString: admin.toString() });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => dropper.end());
    },
  };
}

/**
 * The name of a database migrated to `options.migrations`, made when missing. Concurrent callers (test
 * workers side by side) take turns under an advisory lock; the database is migrated under another name
 * and renamed once done, so one whose maker died half-way is never copied. Templates of other
 * migrations of the service are dropped (when no one is copying them).
 */
async function migratedTemplate(client: Client, admin: URL, options: DatabaseOptions): Promise<string> {
  const prefix = `template_${options.service}_`;
  const name = `${prefix}${migrationsFingerprint(options.migrations)}`;
  const building = `${name}_building`;
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount !== 0) return name;
    await client.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${building}"`);
    const url = new URL(admin);
    url.pathname = `/${building}`;
    await migrateAt(url.toString(), options);
    await client.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    const stale = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2', [prefix, name]);
    for (const { datname } of stale.rows) await client.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
    return name;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
  }
}

/** SQLSTATEs of a database that cannot answer now: cancelled by a timeout, shutting down, out of connections, the connection lost. */
const UNAVAILABLE_STATES: Record<string, string> = {
  '57014': 'statement timeout',
  '25P03': 'idle transaction ended',
  '57P01': 'server shutting down',
  '57P02': 'server crashed',
  '57P03': 'server starting',
  '53300': 'too many connections',
};

/**
 * Why an error means the database did not answer in time or is unreachable (a timeout of
 * databaseLimits, a lost or refused connection), or undefined for any other error. The ORM wraps the
 * driver's error and copies its `code`; knex puts the statement in front of its message, so messages
 * are matched anywhere in them. Follows `originalError` (a resolver's error as GraphQL wraps it), not
 * `cause`: a failed fetch's cause has network codes too, and is not the database.
 */
export function databaseFailure(error: unknown): string | undefined {
  for (let seen = error as { code?: unknown; message?: unknown; originalError?: unknown } | undefined, depth = 0; seen && depth < 5; depth++) {
    const code = typeof seen.code === 'string' ? seen.code : '';
    const message = typeof seen.message === 'string' ? seen.message : '';
    if (UNAVAILABLE_STATES[code]) return UNAVAILABLE_STATES[code];
    if (code.startsWith('08') || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') return 'connection failed';
    if (message.includes('Query read timeout')) return 'no answer';
    if (message.includes('Timeout acquiring a connection')) return 'no free connection';
    if (message.includes('Connection terminated') || message.includes('not queryable')) return 'connection lost';
    seen = seen.originalError as typeof seen;
  }
  return undefined;
}
