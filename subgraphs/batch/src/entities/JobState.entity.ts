import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Whether a job's schedule is on; the job definitions themselves live in code. */
@Entity({ tableName: 'batch_jobs' })
export class JobState {
  @PrimaryKey({ type: 'string', length: 100 })
  name: string;

  @Property({ type: 'boolean', default: true })
  enabled: boolean = true;

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(name: string) {
    this.name = name;
  }
}
