import { Migration } from '@mikro-orm/migrations';

export class Migration20261124183717 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "chat_messages_archive" ("id" uuid not null, "room_id" uuid not null, "sender_id" uuid not null, "seq" int not null, "text" text not null, "client_message_id" varchar(100) not null, "created_at" timestamptz not null, "archived_at" timestamptz not null default now(), constraint "chat_messages_archive_pkey" primary key ("id"));`);
    this.addSql(`create index "chat_messages_archive_room_id_seq_index" on "chat_messages_archive" ("room_id", "seq");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "chat_messages_archive" cascade;`);
  }

}
