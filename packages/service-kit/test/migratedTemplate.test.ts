import { randomBytes } from 'node:crypto';
import { Migration } from '@mikro-orm/migrations';
import { Client } from 'pg';
import { createLogger, openDatabase, type Database } from '@dorandoran/service-kit';

/**
 * Test databases copied from a migrated template (`fromMigratedTemplate`, what the test stacks use on
 * PostgreSQL): each copy is a database of its own with every migration applied, the migrations ran once
 * for all of them, and a template is made again when the migrations change.
 */

// Records where it ran: a copy of the template keeps the template's row instead of adding its own.
class CreateNotes extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table notes (id serial primary key, text text not null)');
    this.addSql('insert into notes (text) values (current_database())');
  }
}

class AddNoteAuthor extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table notes add column author text');
  }
}

const server = process.env.DATABASE_URL;
const suite = server ? describe : describe.skip;
if (!server) console.warn('Skipping the migrated-template tests: they need PostgreSQL (set DATABASE_URL).');

const logger = createLogger('migrated-template-test', 'silent');
/** A service name of this run's own, so runs side by side keep to their own templates. */
const service = `tpl${randomBytes(4).toString('hex')}`;
const databaseUrl = (name: string) => Object.assign(new URL(server!), { pathname: `/${name}` }).toString();

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const databasesNamed = (pattern: string) =>
  admin(async (client) => (await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname', [pattern])).rows.map((row) => row.datname));

const open = (migrations: (typeof CreateNotes)[]) =>
  openDatabase({
    service,
    entities: [],
    migrations,
    databaseUrl: databaseUrl(`${service}_${randomBytes(4).toString('hex')}`),
    exactDatabase: true,
    dropOnClose: true,
    fromMigratedTemplate: true,
    logger,
  });

const query = async <T>(database: Database, sql: string) => (await database.orm.em.getConnection().execute(sql)) as T[];

suite('databases copied from a migrated template', () => {
  afterAll(async () => {
    for (const name of await databasesNamed(`template\\_${service}\\_%`)) await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });

  test('databases opened at once are each migrated and their own, from one template made once', async () => {
    const [first, second, third] = await Promise.all([open([CreateNotes]), open([CreateNotes]), open([CreateNotes])]);
    try {
      const templates = await databasesNamed(`template\\_${service}\\_%`);
      expect(templates).toHaveLength(1);
      // The migration ran once, in the template while it was being made, not in each copy.
      for (const database of [first, second, third]) {
        expect(await query(database, 'select text from notes')).toEqual([{ text: `${templates[0]}_building` }]);
      }
      await query(first, "insert into notes (text) values ('only in the first')");
      expect(await query(second, 'select count(*)::int as notes from notes')).toEqual([{ notes: 1 }]);
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
    }
    // Closing dropped the copies; the template stays for the next ones.
    expect(await databasesNamed(`${service}\\_%`)).toEqual([]);
    expect(await databasesNamed(`template\\_${service}\\_%`)).toHaveLength(1);
  }, 60_000);

  test('a new migration makes a new template, replacing the one of the migrations before', async () => {
    const before = await open([CreateNotes]);
    await before.close();
    const [oldTemplate] = await databasesNamed(`template\\_${service}\\_%`);

    const after = await open([CreateNotes, AddNoteAuthor]);
    try {
      await query(after, "insert into notes (text, author) values ('with an author', 'ann')");
      expect(await query(after, "select author from notes where text = 'with an author'")).toEqual([{ author: 'ann' }]);
    } finally {
      await after.close();
    }
    const templates = await databasesNamed(`template\\_${service}\\_%`);
    expect(templates).toHaveLength(1);
    expect(templates).not.toContain(oldTemplate);
  }, 60_000);

  test('a template whose making was cut off half-way is made again, not copied', async () => {
    const first = await open([CreateNotes]);
    await first.close();
    const [template] = await databasesNamed(`template\\_${service}\\_%`);
    // As a maker that died before migrating and renaming would leave things: an empty database under the building name.
    await admin(async (client) => {
      await client.query(`DROP DATABASE "${template}"`);
      await client.query(`CREATE DATABASE "${template}_building"`);
    });

    const database = await open([CreateNotes]);
    try {
      expect(await query(database, 'select text from notes')).toEqual([{ text: `${template}_building` }]);
    } finally {
      await database.close();
    }
    expect(await databasesNamed(`template\\_${service}\\_%`)).toEqual([template]);
  }, 60_000);
});
