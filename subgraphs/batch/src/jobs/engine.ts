import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import cronParser from 'cron-parser';
import PgBoss from 'pg-boss';
import { v7 as uuidv7 } from 'uuid';
import { notFound, type Logger, type Metric } from '@dorandoran/service-kit';
import { Counter } from 'prom-client';
import { JobRun, type JobTrigger } from '../entities/JobRun.entity';
import { JobState } from '../entities/JobState.entity';

export interface JobDefinition {
  name: string;
  description: string;
  /** Cron, read in the engine's time zone. */
  schedule: string;
  /** Does the work; what it returns is the run's result. Throwing fails the attempt (and it is retried). */
  run(): Promise<Record<string, unknown>>;
}

export interface JobView {
  name: string;
  description: string;
  schedule: string;
  timeZone: string;
  enabled: boolean;
  lastRun: JobRun | null;
  nextRunAt: Date | null;
}

export interface JobEngine {
  jobs(): Promise<JobView[]>;
  runNow(name: string): Promise<JobRun>;
  setEnabled(name: string, enabled: boolean): Promise<JobView>;
  stop(): Promise<void>;
  /** `batch_job_runs_total{job, status}`, unregistered: the subgraph's registry takes it. */
  metrics: Metric[];
}

export interface JobEngineOptions {
  orm: MikroORM;
  definitions: JobDefinition[];
  timeZone: string;
  retryLimit: number;
  retryDelaySeconds: number;
  cronCheckSeconds: number;
  /** On a PostgreSQL server other instances may share the database; an embedded one is this process's alone. */
  sharedDatabase: boolean;
  logger: Logger;
}

/**
 * Jobs on pg-boss in batch's own database. pg-boss keeps the schedules (cron with a time zone),
 * queues each tick once however many batch instances run (a singleton per schedule and minute),
 * hands each queued job to one worker (SKIP LOCKED), and retries failures with backoff. Every
 * attempt is recorded as a JobRun. pg-boss reaches the database through the ORM's connection pool,
 * so the embedded single-connection database serves it too.
 */
export async function startJobEngine(options: JobEngineOptions): Promise<JobEngine> {
  const { orm, definitions, timeZone, logger } = options;
  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  const em = () => orm.em.fork() as EntityManager;
  const connection = ormConnection(orm, logger);
  const boss = new PgBoss({
    db: connection.db,
    schema: 'pgboss',
    cronMonitorIntervalSeconds: options.cronCheckSeconds,
    cronWorkerIntervalSeconds: Math.min(5, options.cronCheckSeconds),
  });
  boss.on('error', (error) => logger.warn({ err: error.message }, 'job engine error'));
  await boss.start();

  const queueOptions = { retryLimit: options.retryLimit, retryDelay: options.retryDelaySeconds, retryBackoff: true, expireInSeconds: 3600 };
  await takingTurns(orm, options.sharedDatabase, async () => {
    for (const definition of definitions) {
      await boss.createQueue(definition.name, { name: definition.name, ...queueOptions });
      await boss.updateQueue(definition.name, { name: definition.name, ...queueOptions });
    }
  });
  for (const definition of definitions) {
    await em().getConnection().execute('insert into batch_jobs (name) values (?) on conflict do nothing', [definition.name]);
    await boss.work<{ trigger?: JobTrigger }>(definition.name, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: 1 }, ([job]) =>
      attempt(definition, job.id, job.data?.trigger ?? 'SCHEDULE', job.retryCount + 1),
    );
  }
  await applySchedules();

  // Each instance counts the attempts it ran; the sum over instances is the service's.
  const runs = new Counter({
    name: 'batch_job_runs_total',
    help: 'Job attempts this instance finished, by job and status: succeeded, failed',
    labelNames: ['job', 'status'] as const,
    registers: [],
  });

  /** One attempt: the QUEUED run runJob made (or a new one for a scheduled tick or a retry) goes RUNNING, then SUCCEEDED or FAILED. */
  async function attempt(definition: JobDefinition, engineJobId: string, trigger: JobTrigger, attemptNumber: number) {
    const db = em();
    let run = await db.findOne(JobRun, { engineJobId, attempt: attemptNumber, status: 'QUEUED' });
    if (!run) {
      run = new JobRun(definition.name, engineJobId, trigger, attemptNumber, 'RUNNING');
      db.persist(run);
    }
    run.status = 'RUNNING';
    run.startedAt = new Date();
    await db.flush();
    logger.info({ job: definition.name, run: run.id, attempt: attemptNumber }, 'job started');
    try {
      const result = await definition.run();
      Object.assign(run, { status: 'SUCCEEDED', result, finishedAt: new Date() });
      await db.flush();
      runs.inc({ job: definition.name, status: 'succeeded' });
      logger.info({ job: definition.name, run: run.id, result }, 'job succeeded');
      return result;
    } catch (error) {
      Object.assign(run, { status: 'FAILED', error: (error as Error).message.slice(0, 2000), finishedAt: new Date() });
      await db.flush();
      runs.inc({ job: definition.name, status: 'failed' });
      logger.warn({ job: definition.name, run: run.id, attempt: attemptNumber, err: (error as Error).message }, 'job failed');
      throw error;
    }
  }

  async function applySchedules() {
    const states = await em().find(JobState, {});
    for (const state of states) {
      const definition = byName.get(state.name);
      if (!definition) continue;
      if (state.enabled) await boss.schedule(definition.name, definition.schedule, {}, { tz: timeZone });
      else await boss.unschedule(definition.name);
    }
  }

  async function view(state: JobState, lastRun: JobRun | null): Promise<JobView> {
    const definition = byName.get(state.name)!;
    return {
      name: definition.name,
      description: definition.description,
      schedule: definition.schedule,
      timeZone,
      enabled: state.enabled,
      lastRun,
      nextRunAt: state.enabled ? cronParser.parseExpression(definition.schedule, { tz: timeZone }).next().toDate() : null,
    };
  }

  const definitionOf = (name: string) => {
    const definition = byName.get(name);
    if (!definition) throw notFound('Job', name);
    return definition;
  };

  return {
    metrics: [runs],

    async jobs() {
      const db = em();
      const states = await db.find(JobState, { name: { $in: [...byName.keys()] } });
      // The newest run of every job in one statement.
      const latest = await db.execute<{ id: string }[]>('select distinct on (job) id from batch_job_runs order by job, id desc');
      const runs = await db.find(JobRun, { id: { $in: latest.map((row) => row.id) } });
      const lastRunOf = new Map(runs.map((run) => [run.job, run]));
      const ordered = definitions.map((definition) => states.find((state) => state.name === definition.name)!);
      return Promise.all(ordered.map((state) => view(state, lastRunOf.get(state.name) ?? null)));
    },

    async runNow(name) {
      definitionOf(name);
      const engineJobId = uuidv7();
      // The run is recorded first, so the worker that picks the job up finds it.
      const run = new JobRun(name, engineJobId, 'MANUAL', 1, 'QUEUED');
      await em().persistAndFlush(run);
      await boss.send(name, { trigger: 'MANUAL' }, { id: engineJobId, ...queueOptions });
      return run;
    },

    async setEnabled(name, enabled) {
      definitionOf(name);
      const db = em();
      const state = await db.findOneOrFail(JobState, { name });
      state.enabled = enabled;
      await db.flush();
      await applySchedules();
      const [lastRun] = await db.find(JobRun, { job: name }, { orderBy: { id: 'desc' }, limit: 1 });
      return view(state, lastRun ?? null);
    },

    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      await connection.close();
    },
  };
}

/**
 * Runs the queues' setup while holding an advisory lock, when other instances may be setting up at
 * the same time. Two instances that start together on a fresh database create the same queues at
 * once, and pg-boss's create_queue deadlocks with itself (each waits for the other's new queue row
 * while holding a lock on pgboss.queue the other's partition needs): one of them failed to start.
 */
async function takingTurns(orm: MikroORM, shared: boolean, setUp: () => Promise<void>): Promise<void> {
  if (!shared) return setUp();
  const knex = (orm.em as EntityManager).getKnex();
  const lock = await knex.client.acquireConnection();
  try {
    await lock.query("select pg_advisory_lock(hashtext('dorandoran batch queues'))");
    try {
      await setUp();
    } finally {
      await lock.query("select pg_advisory_unlock(hashtext('dorandoran batch queues'))");
    }
  } finally {
    await knex.client.releaseConnection(lock);
  }
}

/**
 * pg-boss's database access, through a connection borrowed from the ORM's pool for each statement.
 * pg-boss's stop leaves its workers to finish on their own and does not await a job's completion
 * or failure, so statements may come after it returns, when the ORM is about to close. close()
 * waits for the statements under way; later ones are dropped (logged, answered by
 * droppedStatementResult) rather than failing unhandled: a job still running then was already
 * marked failed by the stop and is retried.
 */
function ormConnection(orm: MikroORM, logger: Logger): { db: PgBoss.Db; close(): Promise<void> } {
  const knex = (orm.em as EntityManager).getKnex();
  const underWay = new Set<Promise<unknown>>();
  let closed = false;
  async function run(text: string, values?: unknown[]) {
    const connection = await knex.client.acquireConnection();
    try {
      return await connection.query(text, values);
    } catch (error) {
      // pg-boss sends some scripts as BEGIN … COMMIT; one that fails half-way (the losing instance of
      // two installing its schema at once, which pg-boss expects and ignores) leaves its transaction
      // open and aborted, and the pool's next user of the connection failed. pg's own pool would drop
      // the connection; this one ends the transaction before giving it back.
      await connection.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await knex.client.releaseConnection(connection);
    }
  }
  return {
    db: {
      executeSql(text, values) {
        if (closed) {
          logger.debug('job engine statement after stop dropped');
          return Promise.resolve(droppedStatementResult(text));
        }
        const statement = run(text, values);
        underWay.add(statement);
        void statement.catch(() => undefined).finally(() => underWay.delete(statement));
        return statement;
      },
    },
    async close() {
      closed = true;
      await Promise.allSettled([...underWay]);
    },
  };
}

/**
 * The answer to a statement dropped after stop. pg-boss's job commands (complete, fail, cancel,
 * resume, delete, retry) end by counting what they changed, and it reads that count without
 * checking for a row (not awaited: a throw there was an unhandled rejection): those affected no
 * job. Anything else found no rows.
 */
export function droppedStatementResult(text: string): { rows: Record<string, unknown>[]; rowCount: number } {
  return /select count\(\*\) from results\s*$/i.test(text) ? { rows: [{ count: '0' }], rowCount: 1 } : { rows: [], rowCount: 0 };
}
