import { Migration } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createLogger, databaseFailure, openDatabase, preparedQuery, type Database, type DatabaseTarget } from '@dorandoran/service-kit';
import { testDatabase } from '@dorandoran/test-support/infra';
import { startTcpProxy, type TcpProxy } from '@dorandoran/test-support/tcpProxy';
import pg from 'pg';

/** Short, so that each wait below costs the suite little; the limits scale with it. */
const TIMEOUT_MS = 600;
/** A failure may come this much later than its limit on a loaded machine, never the client's whole patience. */
const LATE_MS = 1500;

class Counters extends Migration {
  override async up() {
    this.addSql(`create table "counters" ("id" int primary key, "value" int not null);`);
    this.addSql(`insert into "counters" values (1, 0);`);
  }
}

/** A migration slower than the statement timeout: migrations run without it. */
class SlowBackfill extends Migration {
  override async up() {
    this.addSql(`select pg_sleep(${(TIMEOUT_MS * 1.5) / 1000});`);
  }
}

const logger = createLogger('database-limits-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const onServer = process.env.DATABASE_URL ? describe : describe.skip;

/** How long the promise took to settle, and what it rejected with (it must reject). */
async function failureOf(promise: Promise<unknown>): Promise<{ ms: number; failure: string | undefined; error: unknown }> {
  const started = Date.now();
  const error = await promise.then(
    () => {
      throw new Error('expected the database call to fail');
    },
    (rejection: unknown) => rejection,
  );
  return { ms: Date.now() - started, failure: databaseFailure(error), error };
}

const valueOf = async (em: EntityManager) => (await preparedQuery<{ value: number }>(em, 'select value from counters where id = 1', []))[0].value;

const modes: [string, boolean][] = [['embedded PGlite', false], ...(process.env.DATABASE_URL ? [['PostgreSQL', true] as [string, boolean]] : [])];

describe.each(modes)('the pool, %s', (_mode, server) => {
  let db: Database;
  const em = () => db.orm.em.fork() as EntityManager;
  beforeAll(async () => {
    const target: DatabaseTarget = server ? testDatabase('limits') : {};
    db = await openDatabase({ service: 'limits', entities: [], migrations: [Counters], logger, timeoutMs: TIMEOUT_MS, ...target });
  });
  afterAll(async () => {
    await db?.close();
  });

  test('when every pooled connection is held, the next caller gives up after the timeout with "no free connection", and the pool serves again once they are released', async () => {
    // Held as a handler would hold one between its statements (no transaction, so no server timeout applies).
    const pool = em().getConnection().getKnex().client as { acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<unknown> };
    const held = await Promise.all(Array.from({ length: server ? 10 : 1 }, () => pool.acquireConnection()));
    const { ms, failure } = await failureOf(em().execute('select 1'));
    expect(failure).toBe('no free connection');
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + LATE_MS);
    await Promise.all(held.map((connection) => pool.releaseConnection(connection)));
    expect(await valueOf(em())).toBe(0);
  });
});

onServer('database limits on a PostgreSQL server', () => {
  let db: Database;
  let target: DatabaseTarget;
  let proxy: TcpProxy;
  const em = () => db.orm.em.fork() as EntityManager;

  beforeAll(async () => {
    const server = new URL(process.env.DATABASE_URL!);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    target = testDatabase('limits');
    const url = new URL(target.databaseUrl!);
    url.host = `127.0.0.1:${proxy.port}`;
    db = await openDatabase({ service: 'limits', entities: [], migrations: [Counters, SlowBackfill], logger, timeoutMs: TIMEOUT_MS, ...target, databaseUrl: url.toString() });
  });
  afterAll(async () => {
    await db?.close();
    await proxy?.close();
  });

  test('migrations run without the statement timeout: one slower than it was applied', async () => {
    const applied = await preparedQuery<{ name: string }>(em(), 'select name from mikro_orm_migrations order by id', []);
    expect(applied.map((row) => row.name)).toEqual(['Counters', 'SlowBackfill']);
  });

  test('starts with nothing new apply nothing again; a later start with one more migration applies that one', async () => {
    const again = testDatabase('limits');
    const open = (migrations: (typeof Counters)[], dropOnClose: boolean) =>
      openDatabase({ service: 'limits', entities: [], migrations, logger, timeoutMs: TIMEOUT_MS, ...again, dropOnClose });
    await (await open([Counters], false)).close();
    await (await open([Counters], false)).close();
    const later = await open([Counters, SlowBackfill], true);
    try {
      const applied = await preparedQuery<{ name: string }>(later.orm.em.fork() as EntityManager, 'select name from mikro_orm_migrations order by id', []);
      expect(applied.map((row) => row.name)).toEqual(['Counters', 'SlowBackfill']);
    } finally {
      await later.close();
    }
  });

  test('a statement slower than the timeout is cancelled by the server ("statement timeout"), and the connection serves the next one', async () => {
    const { ms, failure } = await failureOf(em().execute(`select pg_sleep(${(TIMEOUT_MS * 5) / 1000})`));
    expect(failure).toBe('statement timeout');
    expect(ms).toBeLessThan(TIMEOUT_MS + LATE_MS);
    expect(await valueOf(em())).toBe(0);
  });

  test('a write waiting on a lock another session holds fails after the timeout and writes nothing; once the lock is gone it goes through', async () => {
    const other = new pg.Client({ connectionString: target.databaseUrl });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('lock table counters in access exclusive mode');
      const write = em().transactional(async (tx) => {
        await tx.execute('update counters set value = value + 1 where id = 1');
        await tx.execute('update counters set value = value + 1 where id = 1');
      });
      const { ms, failure } = await failureOf(write);
      expect(failure).toBe('statement timeout');
      expect(ms).toBeLessThan(TIMEOUT_MS + LATE_MS);
      await other.query('rollback');
    } finally {
      await other.end();
    }
    expect(await valueOf(em())).toBe(0);
    await em().execute('update counters set value = value + 1 where id = 1');
    expect(await valueOf(em())).toBe(1);
    await em().execute('update counters set value = 0 where id = 1');
  });

  test('a transaction left idle is ended by the server, so it does not keep its lock', async () => {
    const stuck = em().transactional(async (tx) => {
      await tx.execute('update counters set value = 100 where id = 1');
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3));
      await tx.execute('select 1');
    });
    expect((await failureOf(stuck)).failure).toBe('connection lost');
    expect(await valueOf(em())).toBe(0);
  });

  test('a server that stops answering: the statement fails a second after the timeout ("no answer") instead of hanging, and once it answers again the pool serves with a fresh connection', async () => {
    await valueOf(em());
    proxy.stall();
    const { ms, failure } = await failureOf(em().execute('select 1'));
    expect(failure).toBe('no answer');
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS + 1000 - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000 + LATE_MS);
    proxy.resume();
    for (let i = 0; i < 12; i++) expect(await valueOf(em())).toBe(0);
  });
});

test('an error that is not about reaching the database is not named a database failure', async () => {
  expect(databaseFailure(new Error('duplicate key value violates unique constraint'))).toBeUndefined();
  expect(databaseFailure(Object.assign(new Error('unique'), { code: '23505' }))).toBeUndefined();
  expect(databaseFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }))).toBeUndefined();
});
