import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import type { EventType } from './catalog';
import { parseEnvelope, type EventEnvelope } from './envelope';
import type { EventTransport } from './transport';

/**
 * Applies one event inside the transaction that also records its id as processed. What it returns runs
 * once that transaction has committed: live notifications, which must not announce a change that may
 * still roll back, and whose reads must not wait for the transaction's connection (embedded PGlite has one).
 */
export type EventHandler<T extends EventType> = (event: EventEnvelope<T>, em: EntityManager) => Promise<void | AfterCommit>;
export type AfterCommit = () => Promise<void>;
export type EventHandlers = { [T in EventType]?: EventHandler<T> };

export interface EventConsumerOptions {
  /** The consuming service: its consumer group, shared by all its instances. */
  service: string;
  orm: MikroORM;
  transport: EventTransport;
  handlers: EventHandlers;
  logger: Logger;
  /** Processed ids are kept this long (longer than any redelivery can take). @default 30 days */
  retentionMs?: number;
  /** Told each time an event this instance failed goes to the dead letters. */
  deadLettered?(): void;
}

/**
 * Consumes events idempotently: each event is checked against the catalog, then applied in one
 * transaction with the insert of its id into processed_events. A redelivered event finds its id
 * and changes nothing; a handler that throws rolls back both, so the event comes again.
 */
export async function startEventConsumer(options: EventConsumerOptions): Promise<{ close(): Promise<void> }> {
  const { orm, handlers, logger } = options;
  const retentionMs = options.retentionMs ?? 30 * 24 * 3600_000;
  let lastPrune = 0;

  async function handle(raw: unknown) {
    const event = parseEnvelope(raw);
    const handler = handlers[event.type] as EventHandler<EventType> | undefined;
    if (!handler) return;
    const outcome = await (orm.em.fork({ disableContextResolution: true }) as EntityManager).transactional(async (em) => {
      const fresh = await em.execute(
        `insert into "processed_events" ("event_id", "type") values (?, ?) on conflict do nothing returning "event_id"`,
        [event.id, event.type],
      );
      if (fresh.length === 0) return { applied: false };
      return { applied: true, afterCommit: await handler(event, em) };
    });
    logger.debug({ eventId: event.id, type: event.type, applied: outcome.applied }, outcome.applied ? 'event applied' : 'event already applied');
    // The change is committed and the event marked processed: a failure here costs live delivery only.
    await outcome.afterCommit?.().catch((error: unknown) =>
      logger.warn({ eventId: event.id, type: event.type, err: (error as Error).message }, 'event applied; what follows its commit failed'),
    );
    await prune();
  }

  async function prune() {
    if (Date.now() - lastPrune < 3600_000) return;
    lastPrune = Date.now();
    await orm.em.fork({ disableContextResolution: true }).getConnection().execute(`delete from "processed_events" where "processed_at" < ?`, [new Date(Date.now() - retentionMs)]);
  }

  return options.transport.subscribe({
    group: options.service,
    types: Object.keys(handlers) as EventType[],
    handle,
    deadLettered: options.deadLettered,
  });
}
