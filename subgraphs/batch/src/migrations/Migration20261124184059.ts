import { Migration } from '@mikro-orm/migrations';

export class Migration20261124184059 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "job_run_status" as enum ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');`);
    this.addSql(`create type "job_trigger" as enum ('SCHEDULE', 'MANUAL');`);
    this.addSql(`create table "batch_job_runs" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "job" varchar(100) not null, "status" "job_run_status" not null, "trigger" "job_trigger" not null, "attempt" int not null, "engine_job_id" uuid not null, "started_at" timestamptz null, "finished_at" timestamptz null, "result" jsonb null, "error" text null, constraint "batch_job_runs_pkey" primary key ("id"));`);
    this.addSql(`create index "batch_job_runs_engine_job_id_attempt_index" on "batch_job_runs" ("engine_job_id", "attempt");`);
    this.addSql(`create index "batch_job_runs_job_id_index" on "batch_job_runs" ("job", "id");`);

    this.addSql(`create table "batch_jobs" ("name" varchar(100) not null, "enabled" boolean not null default true, "updated_at" timestamptz not null default now(), constraint "batch_jobs_pkey" primary key ("name"));`);

    this.addSql(`create table "outbox_events" ("id" uuid not null, "type" varchar(100) not null, "version" int not null, "producer" varchar(50) not null, "subject" varchar(200) not null, "data" jsonb not null, "occurred_at" timestamptz not null, "published_at" timestamptz null, "attempts" int not null default 0, "last_error" text null, constraint "outbox_events_pkey" primary key ("id"));`);
    this.addSql(`create index "outbox_events_unpublished_index" on "outbox_events" ("id") where "published_at" is null;`);

    this.addSql(`create table "processed_events" ("event_id" uuid not null, "type" varchar(100) not null, "processed_at" timestamptz not null default now(), constraint "processed_events_pkey" primary key ("event_id"));`);
    this.addSql(`create index "processed_events_processed_at_index" on "processed_events" ("processed_at");`);

    this.addSql(`create table "report_facts" ("event_id" uuid not null, "kind" varchar(100) not null, "user_id" uuid not null, "amount" int null, "occurred_at" timestamptz not null, constraint "report_facts_pkey" primary key ("event_id"));`);
    this.addSql(`create index "report_facts_occurred_at_index" on "report_facts" ("occurred_at");`);
  }

}
