import { Migration } from '@mikro-orm/migrations';

export class Migration20261124132240 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "account_status" as enum ('ACTIVE', 'SUSPENDED', 'DELETED');`);
    this.addSql(`create table "accounts" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "email" varchar(320) null, "password_hash" text null, "roles" text[] not null default '{USER}', "status" "account_status" not null default 'ACTIVE', "last_login_at" timestamptz null, constraint "accounts_pkey" primary key ("id"));`);
    this.addSql(`alter table "accounts" add constraint "accounts_email_unique" unique ("email");`);

    this.addSql(`create table "login_attempts" ("id" uuid not null, "email" varchar(320) not null, "succeeded" boolean not null default false, "at" timestamptz not null default now(), constraint "login_attempts_pkey" primary key ("id"));`);
    this.addSql(`create index "login_attempts_email_at_index" on "login_attempts" ("email", "at");`);

    this.addSql(`create table "password_reset_codes" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "account_id" uuid not null, "code_hash" text not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "attempts" int not null default 0, constraint "password_reset_codes_pkey" primary key ("id"));`);
    this.addSql(`create index "password_reset_codes_account_id_index" on "password_reset_codes" ("account_id");`);

    this.addSql(`create table "sessions" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "account_id" uuid not null, "expires_at" timestamptz not null, "last_used_at" timestamptz not null default now(), constraint "sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "sessions_account_id_index" on "sessions" ("account_id");`);
    this.addSql(`create index "sessions_expires_at_index" on "sessions" ("expires_at");`);

    this.addSql(`create table "refresh_tokens" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "session_id" uuid not null, "token_hash" varchar(64) not null, "used_at" timestamptz null, "expires_at" timestamptz not null, constraint "refresh_tokens_pkey" primary key ("id"));`);
    this.addSql(`create index "refresh_tokens_session_id_index" on "refresh_tokens" ("session_id");`);
    this.addSql(`alter table "refresh_tokens" add constraint "refresh_tokens_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "signing_keys" ("kid" varchar(64) not null, "alg" varchar(16) not null, "private_jwk" jsonb not null, "public_jwk" jsonb not null, "created_at" timestamptz not null default now(), constraint "signing_keys_pkey" primary key ("kid"));`);

    this.addSql(`alter table "password_reset_codes" add constraint "password_reset_codes_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "sessions" add constraint "sessions_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "refresh_tokens" add constraint "refresh_tokens_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on update cascade on delete cascade;`);
  }

}
