import { Migration } from '@mikro-orm/migrations';

export class Migration20261124131739 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "user_status" as enum ('ACTIVE', 'SUSPENDED', 'DELETED');`);
    this.addSql(`create table "users" ("id" uuid not null, "nickname" varchar(30) not null, "avatar_url" varchar(2048) null, "bio" varchar(500) null, "status" "user_status" not null default 'ACTIVE', "status_reason" varchar(500) null, "locale" varchar(35) not null default 'ko-KR', "email" varchar(320) null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "users_pkey" primary key ("id"));`);
    this.addSql(`create index "users_status_index" on "users" ("status");`);
  }

}
