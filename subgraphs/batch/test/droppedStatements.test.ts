import { createRequire } from 'node:module';
import { droppedStatementResult } from '../src/jobs/engine';

// pg-boss's own statements and its own reading of their results, from the installed version.
const pgBoss = createRequire(require.resolve('pg-boss'));
const plans = pgBoss('./plans') as Record<string, (schema: string) => string>;
const { prototype: manager } = pgBoss('./manager') as { prototype: { mapCommandResponse(ids: string[], result: unknown): { affected: number } } };

describe('statements pg-boss sends after the job engine stopped', () => {
  test.each(['completeJobs', 'failJobsById', 'cancelJobs', 'resumeJobs', 'deleteJobs', 'retryJobs'])(
    '%s, which a worker finishing after the stop sends without awaiting it, affected no job (it used to throw, unhandled)',
    (command) => {
      const answer = droppedStatementResult(plans[command]('pgboss'));
      expect(manager.mapCommandResponse(['a job'], answer)).toEqual({ jobs: ['a job'], requested: 1, affected: 0 });
    },
  );

  test('any other statement finds no rows: fetching gets no job, sending no id', () => {
    expect(droppedStatementResult(plans.fetchNextJob('pgboss'))).toEqual({ rows: [], rowCount: 0 });
    expect(droppedStatementResult(plans.insertJob('pgboss'))).toEqual({ rows: [], rowCount: 0 });
  });
});
