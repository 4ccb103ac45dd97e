import { Entity, Enum, Index, Property } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';

export const JOB_RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];
export const JOB_TRIGGERS = ['SCHEDULE', 'MANUAL'] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

/** One attempt at a job; `createdAt` is when it was queued. */
@Entity({ tableName: 'batch_job_runs' })
@Index({ properties: ['job', 'id'] })
@Index({ properties: ['engineJobId', 'attempt'] })
export class JobRun extends BaseEntity<'startedAt' | 'finishedAt' | 'result' | 'error'> {
  @Property({ type: 'string', length: 100 })
  job: string;

  @Enum({ items: () => JOB_RUN_STATUSES, nativeEnumName: 'job_run_status' })
  status: JobRunStatus;

  @Enum({ items: () => JOB_TRIGGERS, nativeEnumName: 'job_trigger' })
  trigger: JobTrigger;

  @Property({ type: 'integer' })
  attempt: number;

  /** The job engine's (pg-boss's) id for the job this run is an attempt at. */
  @Property({ type: 'uuid' })
  engineJobId: string;

  @Property({ type: 'datetime', nullable: true })
  startedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  finishedAt: Date | null = null;

  @Property({ type: 'jsonb', nullable: true })
  result: unknown = null;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  constructor(job: string, engineJobId: string, trigger: JobTrigger, attempt: number, status: JobRunStatus) {
    super();
    this.job = job;
    this.engineJobId = engineJobId;
    this.trigger = trigger;
    this.attempt = attempt;
    this.status = status;
  }
}
