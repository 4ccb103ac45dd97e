import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Entity, Property } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/postgresql';
import { deny, type IRules } from 'graphql-shield';
import pg from 'pg';
import {
  BaseEntity,
  createInProcessTransport,
  createLogger,
  createMemoryRevocationStore,
  eventEntities,
  eventTablesSql,
  readCommonConfig,
  startSubgraph,
  type DatabaseTarget,
  type RequestIdentity,
  type SubgraphConfig,
  type SubgraphDeps,
  type SubgraphSpec,
  type Viewer,
} from '@dorandoran/service-kit';
import { post } from '@dorandoran/test-support/graphql';
import { testDatabase } from '@dorandoran/test-support/infra';

/** The throwaway subgraph's one entity, shaped as every subgraph's are: id and timestamps from BaseEntity. */
@Entity({ tableName: 'notes' })
class Note extends BaseEntity {
  @Property({ type: 'text' })
  text: string;

  constructor(text: string) {
    super();
    this.text = text;
  }
}

class CreateNotes extends Migration {
  override async up(): Promise<void> {
    for (const sql of eventTablesSql) this.addSql(sql);
    this.addSql(
      'create table "notes" ("id" uuid primary key, "text" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());',
    );
  }
}

class BrokenMigration extends Migration {
  override async up(): Promise<void> {
    this.addSql('select * from "no_such_table";');
  }
}

interface Context {
  em: EntityManager;
  viewer: Viewer | null;
}

/** What happened, in order: the timer's runs and the closing of what the spec opened. */
type Happening = 'run started' | 'run ended' | { servicesClosed: { serverAnswers: boolean; databaseAnswers: boolean } };

/** Where the test watches the subgraph from: what happened, and its URL once it has started. */
interface Watch {
  happened: Happening[];
  url?: string;
}

const SECRET = 'starter-test-secret';
const asRouter = { 'x-router-secret': SECRET };
const logger = createLogger('subgraph-service-test', 'silent');

const permissions: IRules = { Query: { secret: deny } };

/** The spec a sixth subgraph would write, with a closer and a timer that tell the test when they run. */
function notesSpec(watch: Watch, migrations = [CreateNotes]): SubgraphSpec<SubgraphConfig, SubgraphDeps, { timerRuns: number }, Context> {
  const { happened } = watch;
  return {
    name: 'notes',
    schema: path.join(__dirname, 'notesSubgraph', 'schema.graphql'),
    resolvers: {
      Query: { notes: (_: unknown, __: unknown, { em }: Context) => em.findAll(Note, { orderBy: { text: 'asc' } }) },
      Mutation: {
        addNote: async (_: unknown, { text }: { text: string }, { em }: Context) => {
          const note = new Note(text);
          await em.persist(note).flush();
          return note;
        },
      },
      Note: { __resolveReference: ({ id }: { id: string }, { em }: Context) => em.findOne(Note, { id }) },
    },
    permissions,
    entities: [Note, ...eventEntities],
    migrations,
    services: ({ em, onClose }) => {
      onClose(async () => {
        const serverAnswers = watch.url
          ? await fetch(watch.url.replace('/graphql', '/health')).then(
              () => true,
              () => false,
            )
          : false;
        const databaseAnswers = await em.getConnection().execute('select 1').then(
          () => true,
          () => false,
        );
        happened.push({ servicesClosed: { serverAnswers, databaseAnswers } });
      });
      return { timerRuns: 0 };
    },
    context: (em: EntityManager, _services, identity: RequestIdentity) => ({ em: em.fork(), viewer: identity.viewer }),
    health: (services) => ({ timerRuns: services.timerRuns }),
    timers: (services) => [
      {
        name: 'note sweeping',
        everyMs: 20,
        run: async () => {
          happened.push('run started');
          await sleep(100);
          services.timerRuns++;
          happened.push('run ended');
        },
      },
    ],
  };
}

// DATA_DIR keeps nothing: the router secret is given, and the database target is the test's.
const configOf = (port: number): SubgraphConfig => ({ ...readCommonConfig({ ROUTER_SECRET: SECRET, LOG_LEVEL: 'silent', DATA_DIR: os.tmpdir() }), port });

const deps = (database: DatabaseTarget): SubgraphDeps => ({
  revocations: createMemoryRevocationStore(),
  events: createInProcessTransport(logger),
  logger,
  database,
});

/** A fresh database for one start: on DATABASE_URL's server (dropped on close), or embedded PGlite in a folder of its own. */
async function freshDatabase(): Promise<DatabaseTarget> {
  const server = testDatabase('notes');
  return server.databaseUrl ? server : { dataDir: await mkdtemp(path.join(os.tmpdir(), 'notes-data-')) };
}

/** The database is no longer held: the server database is dropped, or the embedded one's lock is let go. */
async function released(target: DatabaseTarget): Promise<boolean> {
  if (!target.databaseUrl) return !existsSync(path.join(target.dataDir!, 'notes', 'embedded.lock'));
  const admin = new URL(target.databaseUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 0;
  } finally {
    await client.end();
  }
}

const takePort = async (): Promise<{ port: number; server: Server }> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { port: (server.address() as { port: number }).port, server };
};

describe('a subgraph started from its spec', () => {
  let target: DatabaseTarget;
  let notes: Awaited<ReturnType<typeof startSubgraph>>;

  beforeAll(async () => {
    target = await freshDatabase();
    notes = await startSubgraph(notesSpec({ happened: [] }), configOf(0), deps(target));
  });

  afterAll(async () => {
    await notes.close();
    if (target.dataDir) await rm(target.dataDir, { recursive: true, force: true });
  });

  test('answers GraphQL to the router: its resolvers, its entities, its permissions', async () => {
    const added = await post(notes.url, 'mutation { addNote(text: "first") { id text } }', {}, asRouter);
    expect(added.errors).toBeUndefined();
    const { id } = added.data!.addNote;
    expect(await post(notes.url, '{ notes { id text } }', {}, asRouter)).toMatchObject({ status: 200, data: { notes: [{ id, text: 'first' }] } });

    const entities = await post(notes.url, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Note { text } } }', { r: [{ __typename: 'Note', id }] }, asRouter);
    expect(entities.data).toEqual({ _entities: [{ text: 'first' }] });

    const refused = await post(notes.url, '{ secret }', {}, asRouter);
    expect(refused.data).toEqual({ secret: null });
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  test('refuses GraphQL to a caller without the router secret', async () => {
    const response = await post(notes.url, '{ notes { id } }');
    expect(response.status).toBe(403);
    expect(response.errors?.[0].extensions?.code).toBe('ROUTER_SECRET_REQUIRED');
  });

  test('serves /health with what the spec adds, and /ready with its database', async () => {
    const base = notes.url.replace('/graphql', '');
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', service: 'notes', timerRuns: expect.any(Number) });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });
});

describe('closing', () => {
  test('stops the timers (awaiting a run under way) and the server before what the spec opened, and the database last', async () => {
    const watch: Watch = { happened: [] };
    const { happened } = watch;
    const target = await freshDatabase();
    const notes = await startSubgraph(notesSpec(watch), configOf(0), deps(target));
    watch.url = notes.url;
    while (!happened.includes('run started')) await sleep(5);
    await notes.close();

    // A server still answering would have been seen from the spec's own close, and a database closed too early would not answer.
    const last = happened.at(-1);
    expect(last).toEqual({ servicesClosed: { serverAnswers: false, databaseAnswers: true } });
    expect(happened.at(-2)).toBe('run ended');
    expect(await released(target)).toBe(true);
    await fetch(notes.url).then(
      () => {
        throw new Error('the server still answers after close');
      },
      () => undefined,
    );
    if (target.dataDir) await rm(target.dataDir, { recursive: true, force: true });
  });
});

describe('a start that fails half-way', () => {
  test('on a port already taken: closes what it had opened, the database included, and throws why', async () => {
    const taken = await takePort();
    const happened: Happening[] = [];
    const target = await freshDatabase();
    try {
      await expect(startSubgraph(notesSpec({ happened }), configOf(taken.port), deps(target))).rejects.toThrow('EADDRINUSE');
      expect(happened).toEqual([{ servicesClosed: { serverAnswers: false, databaseAnswers: true } }]);
      expect(await released(target)).toBe(true);
    } finally {
      await new Promise((resolve) => taken.server.close(resolve));
      if (target.dataDir) await rm(target.dataDir, { recursive: true, force: true });
    }
  });

  test('on a migration that throws: releases the database and builds nothing', async () => {
    const happened: Happening[] = [];
    const target = await freshDatabase();
    try {
      await expect(startSubgraph(notesSpec({ happened }, [CreateNotes, BrokenMigration]), configOf(0), deps(target))).rejects.toThrow('no_such_table');
      expect(happened).toEqual([]);
      expect(await released(target)).toBe(true);
    } finally {
      if (target.dataDir) await rm(target.dataDir, { recursive: true, force: true });
    }
  });
});
