/**
 * `npm run bench:events`: how long a domain event takes from its producer's commit to the consumer's
 * applied transaction, on the in-process log (the baseline) and on Redis Streams, side by side in
 * alternating rounds. Also a burst: 1000 events committed at once, time until all are applied.
 * Uses DATABASE_URL / REDIS_URL when set (Redis Streams needs REDIS_URL).
 */
import { performance } from 'node:perf_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Migration } from '@mikro-orm/migrations';
import { v7 as uuidv7 } from 'uuid';
import {
  createInProcessTransport,
  createLogger,
  createRedisStreamsTransport,
  eventEntities,
  eventTablesSql,
  openDatabase,
  startServiceEvents,
  type Database,
  type EventTransport,
  type ServiceEvents,
} from '@dorandoran/service-kit';
import { testDatabase } from '@dorandoran/test-support/infra';

class EventTables extends Migration {
  override async up() {
    for (const sql of eventTablesSql) this.addSql(sql);
  }
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const PER_ROUND = Number(process.env.BENCH_EVENTS ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 1000);
const logger = createLogger('bench', 'warn');

interface Path {
  name: string;
  producerDb: Database;
  consumerDb: Database;
  transport: EventTransport;
  producer: ServiceEvents;
  consumer: ServiceEvents;
  /** subject -> when its event was applied */
  applied: Map<string, number>;
}

async function openPath(name: string, transport: EventTransport): Promise<Path> {
  const open = (service: string) => openDatabase({ service, entities: eventEntities, migrations: [EventTables], logger, ...testDatabase(service) });
  const producerDb = await open('bench_producer');
  const consumerDb = await open('bench_consumer');
  const applied = new Map<string, number>();
  const producer = await startServiceEvents({ service: 'users', orm: producerDb.orm, transport, logger });
  const consumer = await startServiceEvents({
    service: 'bench',
    orm: consumerDb.orm,
    transport,
    logger,
    handlers: { 'user.deleted': async (event) => void applied.set(event.subject, performance.now()) },
  });
  return { name, producerDb, consumerDb, transport, producer, consumer, applied };
}

async function until(condition: () => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('events were not applied in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** One event per transaction, one after the other: commit-to-applied latency of each. */
async function latencyRound(path: Path): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < PER_ROUND; i++) {
    const subject = uuidv7();
    const em = path.producerDb.orm.em.fork() as EntityManager;
    path.producer.recorder.record(em, 'user.deleted', subject, { userId: subject });
    await em.flush();
    const committed = performance.now();
    await until(() => path.applied.has(subject));
    samples.push(path.applied.get(subject)! - committed);
  }
  return samples;
}

/** BURST events committed in one transaction: time until the last is applied. */
async function burst(path: Path): Promise<number> {
  const em = path.producerDb.orm.em.fork() as EntityManager;
  const subjects = Array.from({ length: BURST }, () => uuidv7());
  for (const subject of subjects) path.producer.recorder.record(em, 'user.deleted', subject, { userId: subject });
  await em.flush();
  const committed = performance.now();
  await until(() => subjects.every((subject) => path.applied.has(subject)), 120_000);
  return Math.max(...subjects.map((subject) => path.applied.get(subject)!)) - committed;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const paths = [await openPath('in-process', createInProcessTransport(logger))];
  if (process.env.REDIS_URL) paths.push(await openPath('Redis Streams', createRedisStreamsTransport(process.env.REDIS_URL, logger, { prefix: `bench:${uuidv7()}` })));
  try {
    const samples = new Map(paths.map((path) => [path.name, [] as number[]]));
    for (const path of paths) await latencyRound(path); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of round % 2 ? [...paths].reverse() : paths) samples.get(path.name)!.push(...(await latencyRound(path)));
    }
    const bursts = new Map<string, number[]>(paths.map((path) => [path.name, []]));
    for (let round = 0; round < 3; round++) for (const path of paths) bursts.get(path.name)!.push(await burst(path));

    const database = process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite';
    console.log(`commit → applied, ${ROUNDS * PER_ROUND} events per path (${database}):`);
    console.log('path             p50 ms   p90 ms   p99 ms   burst of ' + BURST + ' (median of 3)');
    const baseline = percentile([...samples.get(paths[0].name)!].sort((a, b) => a - b), 50);
    for (const path of paths) {
      const sorted = [...samples.get(path.name)!].sort((a, b) => a - b);
      const burstMs = [...bursts.get(path.name)!].sort((a, b) => a - b)[1];
      const p50 = percentile(sorted, 50);
      console.log(
        `${path.name.padEnd(15)} ${p50.toFixed(2).padStart(7)}  ${percentile(sorted, 90).toFixed(2).padStart(7)}  ${percentile(sorted, 99).toFixed(2).padStart(7)}   ${burstMs.toFixed(0)} ms (${((BURST / burstMs) * 1000).toFixed(0)} events/s)   p50 ${(p50 / baseline).toFixed(2)}× in-process`,
      );
    }
  } finally {
    for (const path of paths) {
      await path.consumer.close();
      await path.producer.close();
      await path.transport.close();
      await path.producerDb.close();
      await path.consumerDb.close();
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
