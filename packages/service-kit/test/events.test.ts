import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import {
  createEventRecorder,
  createInProcessTransport,
  createLogger,
  createRedisStreamsTransport,
  eventTablesSql,
  OutboxEvent,
  openDatabase,
  ProcessedEvent,
  startOutboxRelay,
  startServiceEvents,
  type Database,
  type EventEnvelope,
  type EventHandlers,
  type EventTransport,
} from '@dorandoran/service-kit';
import { testDatabase } from '@dorandoran/test-support/infra';
import { canRunRedisServer, startRedisServer } from '@dorandoran/test-support/redisServer';
import { eventually } from '@dorandoran/test-support/ws';

/** What a producer changes: a note, and with it the event that reports it. */
@Entity({ tableName: 'notes' })
class Note {
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'text' })
  text!: string;
}

class EventTables extends Migration {
  override async up() {
    for (const sql of eventTablesSql) this.addSql(sql);
    this.addSql(`create table "notes" ("id" uuid primary key, "text" text not null);`);
    this.addSql(`create table "applied" ("event_id" uuid not null, "user_id" uuid not null);`);
  }
}

const logger = createLogger('events-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const fastRetry = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 400 };

async function openTestDatabase(name: string): Promise<Database> {
  return openDatabase({ service: name, entities: [OutboxEvent, ProcessedEvent, Note], migrations: [EventTables], logger, ...testDatabase(name) });
}

/** The producer's transaction: a note and a user.deleted event, committed together. */
async function writeNoteWithEvent(db: Database, recorder: { record: Function }, userId = uuidv7()) {
  const em = db.orm.em.fork() as EntityManager;
  const note = Object.assign(new Note(), { text: `user ${userId} deleted` });
  em.persist(note);
  recorder.record(em, 'user.deleted', userId, { userId });
  await em.flush();
  return userId;
}

const appliedRows = async (db: Database) =>
  (await db.orm.em.fork().getConnection().execute<{ event_id: string; user_id: string }[]>('select * from "applied"'));

/** A handler that records what it applied in the consumer's own transaction. */
const recordApplied = (failFirst = 0): { handlers: EventHandlers; calls: () => number } => {
  let calls = 0;
  return {
    calls: () => calls,
    handlers: {
      'user.deleted': async (event, em) => {
        calls += 1;
        await em.execute('insert into "applied" ("event_id", "user_id") values (?, ?)', [event.id, event.data.userId]);
        if (calls <= failFirst) throw new Error(`handler crashed on attempt ${calls}`);
      },
    },
  };
};

const transports: [string, (url?: string) => EventTransport][] = [
  ['in-process', () => createInProcessTransport(logger, { retry: fastRetry })],
];
if (process.env.REDIS_URL) {
  transports.push(['Redis Streams', () => createRedisStreamsTransport(process.env.REDIS_URL!, logger, { prefix: `test:${uuidv7()}`, retry: fastRetry, blockMs: 200 })]);
}

describe.each(transports)('event backbone on %s', (_name, makeTransport) => {
  let producerDb: Database;
  let consumerDb: Database;
  let transport: EventTransport;
  const closers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    producerDb = await openTestDatabase('producer');
    consumerDb = await openTestDatabase('consumer');
  });

  afterAll(async () => {
    await producerDb.close();
    await consumerDb.close();
  });

  beforeEach(async () => {
    transport = makeTransport();
    for (const db of [producerDb, consumerDb]) {
      await db.orm.em.fork().getConnection().execute('truncate "outbox_events", "processed_events", "notes", "applied"');
    }
  });

  afterEach(async () => {
    for (const closer of closers.splice(0).reverse()) await closer.close();
    await transport.close();
  });

  async function start(handlers?: EventHandlers) {
    const producer = await startServiceEvents({ service: 'users', orm: producerDb.orm, transport, logger });
    closers.push(producer);
    if (handlers) closers.push(await startServiceEvents({ service: 'consumer', orm: consumerDb.orm, transport, logger, handlers }));
    return producer;
  }

  it('delivers an event committed with its change, once, and marks the outbox row published', async () => {
    const consumer = recordApplied();
    const producer = await start(consumer.handlers);
    const userId = await writeNoteWithEvent(producerDb, producer.recorder);
    await eventually(async () => (await appliedRows(consumerDb)).length === 1, 'the consumer applied the event', 5000);
    expect((await appliedRows(consumerDb))[0].user_id).toBe(userId);
    const [row] = await producerDb.orm.em.fork().getConnection().execute('select * from "outbox_events"');
    expect(row).toMatchObject({ type: 'user.deleted', version: 1, producer: 'users', subject: userId });
    expect(row.published_at).not.toBeNull();
  });

  it('publishes at once a row a statement inserted itself (outboxType, then written), not at the relay\'s next poll', async () => {
    const consumer = recordApplied();
    closers.push(await startServiceEvents({ service: 'consumer', orm: consumerDb.orm, transport, logger, handlers: consumer.handlers }));
    const relay = startOutboxRelay({ orm: producerDb.orm, transport, logger, pollMs: 600_000 });
    closers.push(relay);
    const recorder = createEventRecorder('users');
    const em = producerDb.orm.em.fork() as EntityManager;
    // The relay's first pass (at its start) is over once an empty outbox is left as it was.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const userId = uuidv7();
    const { type, version, producer } = recorder.outboxType('user.deleted');
    await em.getConnection().execute(
      `insert into outbox_events (id, type, version, producer, subject, data, occurred_at) values (?, ?, ?, ?, ?, jsonb_build_object('userId', ?::text), now())`,
      [uuidv7(), type, version, producer, userId, userId],
    );
    recorder.written(em);
    await eventually(async () => (await appliedRows(consumerDb)).length === 1, 'the consumer applied the event long before the next poll', 5000);
    expect((await appliedRows(consumerDb))[0].user_id).toBe(userId);
  });

  it('publishes at its next poll a row no commit announced (one an instance left when it stopped), after polls that found none', async () => {
    const consumer = recordApplied();
    closers.push(await startServiceEvents({ service: 'consumer', orm: consumerDb.orm, transport, logger, handlers: consumer.handlers }));
    closers.push(startOutboxRelay({ orm: producerDb.orm, transport, logger, pollMs: 100 }));
    // Several polls of an empty outbox first, so the row below is found by a poll, not by the relay's first pass.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const userId = uuidv7();
    const { type, version, producer } = createEventRecorder('users').outboxType('user.deleted');
    await producerDb.orm.em.fork().getConnection().execute(
      `insert into outbox_events (id, type, version, producer, subject, data, occurred_at) values (?, ?, ?, ?, ?, jsonb_build_object('userId', ?::text), now())`,
      [uuidv7(), type, version, producer, userId, userId],
    );
    await eventually(async () => (await appliedRows(consumerDb)).length === 1, 'the consumer applied the event the poll found', 5000);
    expect((await appliedRows(consumerDb))[0].user_id).toBe(userId);
  });

  it('writes no event when the change rolls back', async () => {
    const consumer = recordApplied();
    const producer = await start(consumer.handlers);
    const em = producerDb.orm.em.fork() as EntityManager;
    await expect(
      em.transactional(async (tx) => {
        tx.persist(Object.assign(new Note(), { text: 'never' }));
        producer.recorder.record(tx, 'user.deleted', uuidv7(), { userId: uuidv7() });
        await tx.flush();
        throw new Error('the change failed after its flush');
      }),
    ).rejects.toThrow('the change failed');
    await writeNoteWithEvent(producerDb, producer.recorder); // a later event still flows
    await eventually(async () => (await appliedRows(consumerDb)).length === 1, 'the later event arrived', 5000);
    const outbox = await producerDb.orm.em.fork().getConnection().execute('select count(*)::int as n from "outbox_events"');
    expect(outbox[0].n).toBe(1);
    expect(consumer.calls()).toBe(1);
  });

  it('redelivers an event whose handler threw mid-way and applies it exactly once', async () => {
    const consumer = recordApplied(1);
    const producer = await start(consumer.handlers);
    await writeNoteWithEvent(producerDb, producer.recorder);
    await eventually(async () => (await appliedRows(consumerDb)).length === 1, 'the retried event was applied', 8000);
    expect(consumer.calls()).toBe(2); // the first attempt's insert rolled back with its processed id
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await appliedRows(consumerDb)).toHaveLength(1);
    expect(await transport.deadLetters()).toEqual([]);
  });

  it('runs what a handler returns once its transaction has committed: another connection sees the change', async () => {
    const seenAfterCommit: number[] = [];
    const producer = await start({
      'user.deleted': async (event, em) => {
        await em.execute('insert into "applied" ("event_id", "user_id") values (?, ?)', [event.id, event.data.userId]);
        // Read on a connection of its own: before the commit it would see no row (and embedded, wait for the one connection).
        return async () => {
          seenAfterCommit.push((await appliedRows(consumerDb)).length);
        };
      },
    });
    await writeNoteWithEvent(producerDb, producer.recorder);
    await eventually(async () => seenAfterCommit.length === 1, 'the after-commit step ran', 5000);
    expect(seenAfterCommit).toEqual([1]);
  });

  it('keeps an event applied, and does not deliver it again, when what follows its commit fails', async () => {
    let calls = 0;
    const producer = await start({
      'user.deleted': async (event, em) => {
        calls += 1;
        await em.execute('insert into "applied" ("event_id", "user_id") values (?, ?)', [event.id, event.data.userId]);
        return async () => {
          throw new Error('pub/sub is down');
        };
      },
    });
    await writeNoteWithEvent(producerDb, producer.recorder);
    await eventually(async () => (await appliedRows(consumerDb)).length === 1, 'the event was applied', 5000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls).toBe(1);
    expect(await appliedRows(consumerDb)).toHaveLength(1);
    expect(await transport.deadLetters()).toEqual([]);
  });

  it('applies a redelivered event (same id) only once', async () => {
    const consumer = recordApplied();
    await start(consumer.handlers);
    const event: EventEnvelope = { id: uuidv7(), type: 'user.deleted', version: 1, occurredAt: new Date().toISOString(), producer: 'users', subject: 'x', data: { userId: uuidv7() } };
    await transport.publish([event]);
    await transport.publish([event]);
    await eventually(async () => consumer.calls() >= 1, 'the event arrived', 5000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(consumer.calls()).toBe(1);
    expect(await appliedRows(consumerDb)).toHaveLength(1);
  });

  it('dead-letters an event that keeps failing, after maxAttempts, with its error; later events still flow', async () => {
    const handlers: EventHandlers = {
      'user.deleted': async (event, em) => {
        if (event.subject === 'poison') throw new Error('cannot apply this one');
        await em.execute('insert into "applied" ("event_id", "user_id") values (?, ?)', [event.id, event.data.userId]);
      },
    };
    await start(handlers);
    const failing: EventEnvelope = { id: uuidv7(), type: 'user.deleted', version: 1, occurredAt: new Date().toISOString(), producer: 'users', subject: 'poison', data: { userId: uuidv7() } };
    await transport.publish([failing, { ...failing, id: uuidv7(), subject: 'fine' }]);
    await eventually(async () => (await transport.deadLetters()).length === 1, 'the failing event was dead-lettered', 10_000);
    const [dead] = await transport.deadLetters();
    expect(dead).toMatchObject({ group: 'consumer', attempts: fastRetry.maxAttempts, error: 'cannot apply this one' });
    expect((dead.event as EventEnvelope).id).toBe(failing.id);
    expect(await appliedRows(consumerDb)).toHaveLength(1);
  });

  it('dead-letters at once an event that does not match its schema', async () => {
    const consumer = recordApplied();
    await start(consumer.handlers);
    await transport.publish([{ id: uuidv7(), type: 'user.deleted', version: 1, occurredAt: new Date().toISOString(), producer: 'users', subject: 's', data: { userId: 'not-a-uuid' } } as EventEnvelope]);
    await transport.publish([{ id: uuidv7(), type: 'user.deleted', version: 9, occurredAt: new Date().toISOString(), producer: 'users', subject: 's', data: { userId: uuidv7() } } as EventEnvelope]);
    await eventually(async () => (await transport.deadLetters()).length === 2, 'both bad events were dead-lettered', 5000);
    const errors = (await transport.deadLetters()).map((dead) => [dead.attempts, dead.error]);
    expect(errors).toEqual([
      [1, 'user.deleted version 9 is not known here (this build reads version 1)'],
      [1, expect.stringContaining('user.deleted v1 payload does not match its schema')],
    ]);
    expect(consumer.calls()).toBe(0);
  });

  it('refuses to record a payload off its schema, or an event of another producer', async () => {
    const producer = await start();
    const em = producerDb.orm.em.fork() as EntityManager;
    expect(() => producer.recorder.record(em, 'user.deleted', 'x', { userId: 'nope' })).toThrow(/user.deleted payload does not match its schema/);
    expect(() => producer.recorder.record(em, 'order.paid', 'x', { orderId: uuidv7(), buyerId: uuidv7(), amount: { amount: 1, currency: 'KRW' } })).toThrow('users may not produce order.paid; its producer is store');
  });
});

const withRedisServer = canRunRedisServer ? describe : describe.skip;

withRedisServer('event backbone when Redis goes away', () => {
  it('keeps an event produced while Redis is down in the outbox and delivers it after Redis returns', async () => {
    const redis = await startRedisServer();
    const producerDb = await openTestDatabase('producer');
    const consumerDb = await openTestDatabase('consumer');
    const transport = createRedisStreamsTransport(redis.url, logger, { retry: fastRetry, blockMs: 200 });
    const consumer = recordApplied();
    const producer = await startServiceEvents({ service: 'users', orm: producerDb.orm, transport, logger });
    const consuming = await startServiceEvents({ service: 'consumer', orm: consumerDb.orm, transport, logger, handlers: consumer.handlers });
    try {
      await redis.stop();
      const userId = await writeNoteWithEvent(producerDb, producer.recorder);
      const unpublished = async () =>
        (await producerDb.orm.em.fork().getConnection().execute('select attempts, last_error, published_at from "outbox_events"'))[0];
      await eventually(async () => (await unpublished()).attempts >= 1, 'the relay tried to publish', 5000);
      expect(await unpublished()).toMatchObject({ published_at: null, last_error: expect.any(String) });
      expect(await appliedRows(consumerDb)).toHaveLength(0);

      await redis.start();
      await eventually(async () => (await appliedRows(consumerDb)).length === 1, 'the event arrived after Redis returned', 15_000);
      expect((await appliedRows(consumerDb))[0].user_id).toBe(userId);
      expect((await unpublished()).published_at).not.toBeNull();
    } finally {
      await consuming.close();
      await producer.close();
      await transport.close();
      await producerDb.close();
      await consumerDb.close();
      await redis.stop();
    }
  });

  it('two instances of one consumer group share the events: each is applied once', async () => {
    const redis = await startRedisServer();
    const producerDb = await openTestDatabase('producer');
    const consumerDb = await openTestDatabase('consumer');
    const transports = [0, 1].map(() => createRedisStreamsTransport(redis.url, logger, { retry: fastRetry, blockMs: 200 }));
    const consumer = recordApplied();
    const producer = await startServiceEvents({ service: 'users', orm: producerDb.orm, transport: transports[0], logger });
    const instances = await Promise.all(transports.map((transport) => startServiceEvents({ service: 'consumer', orm: consumerDb.orm, transport, logger, handlers: consumer.handlers })));
    try {
      for (let i = 0; i < 40; i++) await writeNoteWithEvent(producerDb, producer.recorder);
      await eventually(async () => (await appliedRows(consumerDb)).length === 40, 'all 40 events applied', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rows = await appliedRows(consumerDb);
      expect(new Set(rows.map((row) => row.event_id)).size).toBe(40);
      expect(consumer.calls()).toBe(40);
    } finally {
      for (const instance of instances) await instance.close();
      await producer.close();
      for (const transport of transports) await transport.close();
      await producerDb.close();
      await consumerDb.close();
      await redis.stop();
    }
  });
});
