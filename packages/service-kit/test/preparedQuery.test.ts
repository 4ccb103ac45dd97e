import { Migration } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createLogger, openDatabase, preparedQuery, type Database } from '@dorandoran/service-kit';
import { testDatabase } from '@dorandoran/test-support/infra';

class Notes extends Migration {
  override async up() {
    this.addSql(`create table "notes" ("id" int primary key, "text" text not null);`);
    this.addSql(`insert into "notes" values (1, 'one'), (2, 'two'), (3, 'three');`);
  }
}

const logger = createLogger('prepared-query-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const NOTES_FROM = 'select id, text from notes where id >= $1 order by id';

/** This session's prepared statements, as PostgreSQL keeps them. */
const preparedHere = async (em: EntityManager) =>
  (await preparedQuery<{ statement: string }>(em, 'select statement from pg_prepared_statements', [])).map((row) => row.statement);

describe('preparedQuery', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ service: 'prepared', entities: [], migrations: [Notes], logger, ...testDatabase('prepared') });
  });
  afterAll(async () => {
    await db?.close();
  });

  const em = () => db.orm.em.fork() as EntityManager;

  it('answers with its parameters, and the statement stays prepared on the connection for the next call', async () => {
    expect(await preparedQuery(em(), NOTES_FROM, [2])).toEqual([
      { id: 2, text: 'two' },
      { id: 3, text: 'three' },
    ]);
    expect(await preparedQuery(em(), NOTES_FROM, [3])).toEqual([{ id: 3, text: 'three' }]);
    expect(await preparedHere(em())).toContain(NOTES_FROM);
  });

  it("inside a transaction reads through the transaction's connection: it sees what the transaction wrote", async () => {
    await em().transactional(async (tx) => {
      await tx.execute(`insert into notes values (4, 'four')`);
      expect(await preparedQuery(tx as EntityManager, NOTES_FROM, [4])).toEqual([{ id: 4, text: 'four' }]);
      await tx.execute('delete from notes where id = 4');
    });
    expect(await preparedQuery(em(), NOTES_FROM, [4])).toEqual([]);
  });

  it("rejects with PostgreSQL's error when a parameter does not fit, and the connection goes back to the pool usable", async () => {
    await expect(preparedQuery(em(), NOTES_FROM, ['not a number'])).rejects.toThrow(/invalid input syntax for type integer/);
    // The pool holds one connection on PGlite and up to ten on a server: enough calls to reuse each.
    for (let i = 0; i < 12; i++) expect(await preparedQuery(em(), NOTES_FROM, [3])).toEqual([{ id: 3, text: 'three' }]);
  });
});
