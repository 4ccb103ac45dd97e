import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Migration } from '@mikro-orm/migrations';
import { createLogger, openDatabase, type Database } from '@dorandoran/service-kit';
import { spawnSync } from 'node:child_process';
import { removeAbandonedImages, writableOnlyByThisUser } from '../src/embeddedDatabase';

class CreateNotes extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table notes (id serial primary key, text text not null)');
  }
}

class AddNoteAuthor extends Migration {
  override async up(): Promise<void> {
    this.addSql("alter table notes add column author text not null default 'anonymous'");
  }
}

const logger = createLogger('embedded-database-test', 'silent');
const open = (dataDir: string, service: string) => openDatabase({ service, entities: [], migrations: [CreateNotes], dataDir, logger });
const notesIn = async (database: Database) =>
  ((await database.orm.em.getConnection().execute('select text from notes order by id')) as { text: string }[]).map((row) => row.text);

describe('embedded databases kept on disk (npm start)', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-embedded-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('two services started at once each get a database of their own, which keeps its rows after a restart', async () => {
    const [auth, chat] = await Promise.all([open(dataDir, 'auth'), open(dataDir, 'chat')]);
    await auth.orm.em.getConnection().execute("insert into notes (text) values ('kept by auth')");
    await chat.orm.em.getConnection().execute("insert into notes (text) values ('kept by chat')");
    await Promise.all([auth.close(), chat.close()]);

    // Seeded clusters are renamed into place: no half-made copy is left beside them.
    expect((await readdir(dataDir)).sort()).toEqual(['auth', 'chat']);
    expect(await readdir(path.join(dataDir, 'auth'))).toContain('pgdata');

    const [authAgain, chatAgain] = await Promise.all([open(dataDir, 'auth'), open(dataDir, 'chat')]);
    try {
      expect(await notesIn(authAgain)).toEqual(['kept by auth']);
      expect(await notesIn(chatAgain)).toEqual(['kept by chat']);
    } finally {
      await Promise.all([authAgain.close(), chatAgain.close()]);
    }
  }, 120_000);

  it('a copy an interrupted first start left beside the data folder is replaced, not trusted', async () => {
    const leftover = path.join(dataDir, 'users', 'pgdata.new');
    await mkdir(leftover, { recursive: true });
    await writeFile(path.join(leftover, 'PG_VERSION'), 'garbage');
    const users = await open(dataDir, 'users');
    try {
      await users.orm.em.getConnection().execute("insert into notes (text) values ('fine')");
      expect(await notesIn(users)).toEqual(['fine']);
    } finally {
      await users.close();
    }
    expect(await readdir(path.join(dataDir, 'users'))).not.toContain('pgdata.new');
  }, 120_000);
});

describe('in-memory databases (tests) from a migrated image', () => {
  // Where embeddedDatabase.ts keeps its images; a service name of this file's own keeps them apart.
  const images = path.join(os.tmpdir(), `dorandoran-pglite-${process.getuid!()}`);
  const service = `notes_${randomBytes(4).toString('hex')}`;
  const imagesOf = async () => (await readdir(images)).filter((name) => name.startsWith(`migrated-${service}-`));
  const inMemory = (migrations: (typeof CreateNotes)[]) => openDatabase({ service, entities: [], migrations, fromMigratedTemplate: true, logger });

  afterAll(async () => {
    for (const name of await imagesOf().catch(() => [])) await rm(path.join(images, name), { force: true });
  });

  it('are made once per list of migrations, and each database has the tables and its own rows', async () => {
    const [first, second] = await Promise.all([inMemory([CreateNotes]), inMemory([CreateNotes])]);
    try {
      await first.orm.em.getConnection().execute("insert into notes (text) values ('only in the first')");
      expect(await notesIn(first)).toEqual(['only in the first']);
      expect(await notesIn(second)).toEqual([]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
    const made = await imagesOf();
    expect(made).toHaveLength(1);
    expect(made[0]).toMatch(/\.tar$/);

    const third = await inMemory([CreateNotes]);
    try {
      expect(await notesIn(third)).toEqual([]);
    } finally {
      await third.close();
    }
    expect(await imagesOf()).toEqual(made);
  }, 120_000);

  it('a new migration makes a new image, which replaces the one before', async () => {
    const before = await inMemory([CreateNotes]);
    await before.close();
    const [old] = await imagesOf();

    const after = await inMemory([CreateNotes, AddNoteAuthor]);
    try {
      await after.orm.em.getConnection().execute("insert into notes (text) values ('signed')");
      expect(await after.orm.em.getConnection().execute('select author from notes')).toEqual([{ author: 'anonymous' }]);
    } finally {
      await after.close();
    }
    const now = await imagesOf();
    expect(now).toHaveLength(1);
    expect(now).not.toContain(old);
  }, 120_000);

  it('are kept only in a folder no one else can write in', async () => {
    expect(await writableOnlyByThisUser(images)).toBe(true);
    const shared = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-shared-'));
    try {
      await chmod(shared, 0o777);
      expect(await writableOnlyByThisUser(shared)).toBe(false);
      await chmod(shared, 0o700);
      expect(await writableOnlyByThisUser(shared)).toBe(true);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
    expect(await writableOnlyByThisUser(path.join(shared, 'missing'))).toBe(false);
  });
});

test("half-written images of processes that ended are deleted; one a running process is writing is left alone", async () => {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-images-'));
  try {
    const ended = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(path.join(folder, `migrated-chat-abc.tar.${ended}.partial`), 'half');
    await writeFile(path.join(folder, `migrated-chat-abc.tar.${process.pid}.partial`), 'being written');
    await writeFile(path.join(folder, 'migrated-chat-abc.tar'), 'whole');
    await removeAbandonedImages(folder);
    expect((await readdir(folder)).sort()).toEqual(['migrated-chat-abc.tar', `migrated-chat-abc.tar.${process.pid}.partial`]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

