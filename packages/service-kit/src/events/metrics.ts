import type { MikroORM } from '@mikro-orm/core';
import { Counter, Gauge, type Metric } from 'prom-client';

export interface EventMetrics {
  /** Unregistered: the service's registry takes them (`SubgraphServerOptions.metrics`). */
  metrics: Metric[];
  /** Counts one event this instance moved to the dead letters. */
  deadLettered(): void;
}

/**
 * The outbox backlog, read from the database when Prometheus scrapes (so every instance shows the
 * service's whole outbox, which their relays share), and the events this instance dead-lettered.
 * A failed read leaves the backlog out of the scrape instead of failing it; `readiness_check_up`
 * tells why.
 */
export function createEventMetrics(orm: MikroORM): EventMetrics {
  const backlog = async () => {
    const [row] = await orm.em
      .fork({ disableContextResolution: true })
      .getConnection()
      .execute<{ count: number; age: number }[]>(
        `select count(*)::int as "count", coalesce(extract(epoch from now() - min("occurred_at")), 0)::float8 as "age" from "outbox_events" where "published_at" is null`,
      );
    return row;
  };
  const deadLetters = new Counter({
    name: 'event_dead_letters_total',
    help: 'Events this instance moved to the dead letters after their last attempt failed',
    registers: [],
  });
  return {
    metrics: [
      new Gauge({
        name: 'outbox_unpublished_events',
        help: 'Outbox rows not yet handed to the event log',
        registers: [],
        async collect() {
          this.reset();
          const row = await backlog().catch(() => undefined);
          if (row) this.set(row.count);
        },
      }),
      new Gauge({
        name: 'outbox_oldest_unpublished_age_seconds',
        help: 'Age of the oldest outbox row not yet handed to the event log; 0 when there is none',
        registers: [],
        async collect() {
          this.reset();
          const row = await backlog().catch(() => undefined);
          if (row) this.set(row.age);
        },
      }),
      deadLetters,
    ],
    deadLettered: () => deadLetters.inc(),
  };
}
