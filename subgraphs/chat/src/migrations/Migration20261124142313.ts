import { Migration } from '@mikro-orm/migrations';

export class Migration20261124142313 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "chat_room_kind" as enum ('DIRECT', 'GROUP');`);
    this.addSql(`create table "chat_rooms" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "kind" "chat_room_kind" not null, "title" varchar(100) null, "direct_key" varchar(73) null, "created_by" uuid not null, "last_seq" int not null default 0, "last_activity_at" timestamptz not null, constraint "chat_rooms_pkey" primary key ("id"));`);
    this.addSql(`alter table "chat_rooms" add constraint "chat_rooms_direct_key_unique" unique ("direct_key");`);
    this.addSql(`create index "chat_rooms_last_activity_at_id_index" on "chat_rooms" ("last_activity_at", "id");`);

    this.addSql(`create table "chat_members" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "room_id" uuid not null, "user_id" uuid not null, "last_read_seq" int not null default 0, "left_at" timestamptz null, constraint "chat_members_pkey" primary key ("id"));`);
    this.addSql(`create index "chat_members_user_id_index" on "chat_members" ("user_id");`);
    this.addSql(`alter table "chat_members" add constraint "chat_members_room_id_user_id_unique" unique ("room_id", "user_id");`);

    this.addSql(`create table "chat_messages" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "room_id" uuid not null, "sender_id" uuid not null, "seq" int not null, "text" text not null, "client_message_id" varchar(100) not null, constraint "chat_messages_pkey" primary key ("id"));`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_room_id_sender_id_client_message_id_unique" unique ("room_id", "sender_id", "client_message_id");`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_room_id_seq_unique" unique ("room_id", "seq");`);

    this.addSql(`alter table "chat_members" add constraint "chat_members_room_id_foreign" foreign key ("room_id") references "chat_rooms" ("id") on update cascade;`);

    this.addSql(`alter table "chat_messages" add constraint "chat_messages_room_id_foreign" foreign key ("room_id") references "chat_rooms" ("id") on update cascade;`);
  }

}
