import type { EventSubscriber, MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import { preparedQuery } from '../preparedQuery';
import { OutboxEvent, toEnvelope } from './outbox';
import { registerRelayWaker } from './relayWakers';
import { errorMessage, type EventTransport } from './transport';

export interface OutboxRelayOptions {
  orm: MikroORM;
  transport: EventTransport;
  logger: Logger;
  /** How often to look for unpublished rows when no commit announced any. @default 1000 */
  pollMs?: number;
  /** Published rows are kept this long, for inspection, then deleted. @default 7 days */
  retentionMs?: number;
}

const BATCH = 100;
const ANY_UNPUBLISHED = `select exists (select 1 from "outbox_events" where "published_at" is null) as "waiting"`;
const MAX_BACKOFF_MS = 30_000;

/**
 * Publishes the outbox: after each commit that wrote events (and every `pollMs` besides) it takes
 * unpublished rows in order, hands them to the transport, and marks them published. Rows are
 * locked with SKIP LOCKED, so relays of several instances share the work. When the transport is
 * unreachable the rows stay and the relay tries again with backoff: nothing is lost.
 */
export function startOutboxRelay(options: OutboxRelayOptions): { close(): Promise<void> } {
  const { orm, transport, logger } = options;
  const pollMs = options.pollMs ?? 1000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let lastPrune = 0;
  /** A commit said it wrote rows since the last look (and at start, rows an earlier run may have left). */
  let announced = true;

  /** Publishes one batch; answers how many rows it published. */
  async function publishBatch(): Promise<number> {
    const em = orm.em.fork({ disableContextResolution: true }) as EntityManager;
    const outcome = await em.transactional(async (tx) => {
      const rows = await tx.execute<OutboxEvent[]>(
        `select "id", "type", "version", "producer", "subject", "data", "occurred_at" as "occurredAt" from "outbox_events" where "published_at" is null order by "id" limit ${BATCH} for update skip locked`,
      );
      if (rows.length === 0) return { published: 0 };
      const ids = rows.map((row) => row.id);
      try {
        await transport.publish(rows.map(toEnvelope));
      } catch (error) {
        // Committed with the rows left unpublished, so operators see the attempts and the reason.
        await tx.execute(`update "outbox_events" set "attempts" = "attempts" + 1, "last_error" = ? where "id" in (?)`, [errorMessage(error).slice(0, 1000), ids]);
        return { published: 0, error };
      }
      await tx.execute(`update "outbox_events" set "published_at" = now(), "attempts" = "attempts" + 1, "last_error" = null where "id" in (?)`, [ids]);
      return { published: rows.length };
    });
    if (outcome.error) throw outcome.error;
    return outcome.published;
  }

  async function anyUnpublished(): Promise<boolean> {
    const [row] = await preparedQuery<{ waiting: boolean }>(orm.em.fork({ disableContextResolution: true }) as EntityManager, ANY_UNPUBLISHED, []);
    return row.waiting;
  }

  async function prune() {
    if (Date.now() - lastPrune < 3600_000) return;
    lastPrune = Date.now();
    await orm.em.fork({ disableContextResolution: true }).getConnection().execute(`delete from "outbox_events" where "published_at" < ?`, [new Date(Date.now() - retentionMs)]);
  }

  async function drain() {
    do {
      again = false;
      const wasAnnounced = announced;
      announced = false;
      try {
        // A poll no commit announced first asks whether anything waits: one statement instead of a
        // transaction of three, which was most of what an idle service still spent.
        if (wasAnnounced || failures > 0 || (await anyUnpublished())) while (!closed && (await publishBatch()) === BATCH);
        if (failures > 0) logger.info({ after: failures }, 'event relay reached the event log again');
        failures = 0;
        await prune();
      } catch (error) {
        failures += 1;
        if (failures === 1) logger.warn({ err: errorMessage(error) }, 'event relay could not publish; events stay in the outbox');
      }
    } while (again && !closed && failures === 0);
  }

  function schedule(delay: number) {
    clearTimeout(timer);
    if (closed) return;
    timer = setTimeout(run, delay);
  }

  function run() {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = drain().finally(() => {
      running = undefined;
      schedule(failures > 0 ? Math.min(MAX_BACKOFF_MS, pollMs * 2 ** Math.min(failures, 5)) : pollMs);
    });
  }

  // Publish right after a commit that wrote outbox rows, instead of waiting for the next poll.
  const announce = () => {
    announced = true;
    setImmediate(run);
  };
  let awaitingCommit = false;
  const subscriber: EventSubscriber = {
    afterFlush({ em, uow }) {
      if (!uow.getChangeSets().some((changeSet) => changeSet.entity instanceof OutboxEvent)) return;
      if (em.isInTransaction()) awaitingCommit = true;
      else announce();
    },
    afterTransactionCommit() {
      if (!awaitingCommit) return;
      awaitingCommit = false;
      announce();
    },
  };
  orm.em.getEventManager().registerSubscriber(subscriber);
  const forgetWaker = registerRelayWaker(orm.em as EntityManager, announce);
  run();

  return {
    async close() {
      closed = true;
      forgetWaker();
      clearTimeout(timer);
      await running;
    },
  };
}
