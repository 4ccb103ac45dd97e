import { Entity, Index, PrimaryKey, Property, type EntityManager } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { eventCatalog, type EventData, type EventType } from './catalog';
import { checkPayload, type EventEnvelope } from './envelope';
import { wakeRelay } from './relayWakers';

/**
 * The transactional outbox: an event is a row written by the same flush as the change it reports,
 * so either both commit or neither does. The relay publishes rows and marks them published.
 */
@Entity({ tableName: 'outbox_events' })
@Index({ name: 'outbox_events_unpublished_index', expression: 'create index "outbox_events_unpublished_index" on "outbox_events" ("id") where "published_at" is null' })
export class OutboxEvent {
  /** UUID v7: ordered by creation, so the relay publishes in the order changes were made. */
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'string', length: 100 })
  type!: string;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'string', length: 50 })
  producer!: string;

  @Property({ type: 'string', length: 200 })
  subject!: string;

  @Property({ type: 'jsonb' })
  data!: object;

  @Property({ type: 'datetime' })
  occurredAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  publishedAt: Date | null = null;

  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;
}

/** Consumed event ids: a redelivered event finds its id here and is not applied twice. */
@Entity({ tableName: 'processed_events' })
export class ProcessedEvent {
  @PrimaryKey({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'string', length: 100 })
  type!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  @Index()
  processedAt: Date = new Date();
}

/** Entities a service using events adds to its ORM entity list. */
export const eventEntities = [OutboxEvent, ProcessedEvent];

/** The SQL that creates both tables; each service's migration runs it once. */
export const eventTablesSql = [
  `create table "outbox_events" ("id" uuid not null, "type" varchar(100) not null, "version" int not null, "producer" varchar(50) not null, "subject" varchar(200) not null, "data" jsonb not null, "occurred_at" timestamptz not null, "published_at" timestamptz null, "attempts" int not null default 0, "last_error" text null, constraint "outbox_events_pkey" primary key ("id"));`,
  `create index "outbox_events_unpublished_index" on "outbox_events" ("id") where "published_at" is null;`,
  `create table "processed_events" ("event_id" uuid not null, "type" varchar(100) not null, "processed_at" timestamptz not null default now(), constraint "processed_events_pkey" primary key ("event_id"));`,
  `create index "processed_events_processed_at_index" on "processed_events" ("processed_at");`,
];

/** What an outbox row says of its event's type, for a statement that inserts the row itself. */
export type OutboxType = Pick<OutboxEvent, 'type' | 'version' | 'producer'>;

/** A whole outbox row (`data` as JSON text), for a statement that inserts it beside the change it reports. */
export type OutboxRow = OutboxType & Pick<OutboxEvent, 'id' | 'subject' | 'occurredAt'> & { data: string };

/** Records events of one producing service. */
export interface EventRecorder {
  /** Adds the event to `em`'s unit of work: it commits with the next flush, together with the change. */
  record<T extends EventType>(em: EntityManager, type: T, subject: string, data: EventData<T>): void;
  /**
   * The type, version and producer of an event that a hot write inserts into outbox_events in its own
   * statement (one round trip instead of a flush), building its id, subject and data there; the
   * consumers check that data as they check every payload. Call `written` once the statement committed.
   */
  outboxType(type: EventType): OutboxType;
  /** The event as a whole outbox row, its payload checked as `record` checks it, for such a statement; then `written`. */
  outboxRow<T extends EventType>(type: T, subject: string, data: EventData<T>): OutboxRow;
  /** Rows inserted outside a flush have committed: the relay publishes them now rather than at its next poll. */
  written(em: EntityManager): void;
}

export function createEventRecorder(producer: string): EventRecorder {
  const outboxType = (type: EventType): OutboxType => ({ type, version: eventCatalog[type].version, producer });
  const newRow = <T extends EventType>(type: T, subject: string, data: EventData<T>): OutboxEvent =>
    Object.assign(new OutboxEvent(), outboxType(type), { subject, data: checkPayload(producer, type, data) });
  return {
    record(em, type, subject, data) {
      em.persist(newRow(type, subject, data));
    },
    outboxType,
    outboxRow(type, subject, data) {
      const { id, version, occurredAt, data: payload } = newRow(type, subject, data);
      return { id, type, version, producer, subject, occurredAt, data: JSON.stringify(payload) };
    },
    written: wakeRelay,
  };
}

export function toEnvelope(row: Pick<OutboxEvent, 'id' | 'type' | 'version' | 'producer' | 'subject' | 'data' | 'occurredAt'>): EventEnvelope {
  return {
    id: row.id,
    type: row.type as EventType,
    version: row.version,
    occurredAt: new Date(row.occurredAt).toISOString(),
    producer: row.producer,
    subject: row.subject,
    data: row.data as EventEnvelope['data'],
  };
}
