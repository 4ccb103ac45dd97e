import { Migration } from '@mikro-orm/migrations';

export class Migration20261205183825 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "product_images" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "product_id" uuid not null, "content_type" varchar(20) not null, "sha256" varchar(64) not null, "bytes" bytea not null, constraint "product_images_pkey" primary key ("id"));`);
    this.addSql(`alter table "product_images" add constraint "product_images_product_id_unique" unique ("product_id");`);

    this.addSql(`create table "sandbox_charges" ("transaction_id" varchar(100) not null, "order_id" varchar(200) not null, "card" varchar(200) not null, "refunded" boolean not null default false, "created_at" timestamptz not null default now(), constraint "sandbox_charges_pkey" primary key ("transaction_id"));`);
    this.addSql(`alter table "sandbox_charges" add constraint "sandbox_charges_order_id_unique" unique ("order_id");`);
    this.addSql(`create index "sandbox_charges_card_index" on "sandbox_charges" ("card");`);

    this.addSql(`create table "sandbox_operations" ("kind" varchar(10) not null, "idempotency_key" varchar(200) not null, "outcome" jsonb not null, "created_at" timestamptz not null default now(), constraint "sandbox_operations_pkey" primary key ("kind", "idempotency_key"));`);

    this.addSql(`alter table "orders" add column "ship_recipient" varchar(50) null, add column "ship_phone" varchar(20) null, add column "ship_postal_code" varchar(10) null, add column "ship_line1" varchar(100) null, add column "ship_line2" varchar(100) null;`);

    this.addSql(`alter table "products" add column "image_sha256" varchar(64) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "product_images" cascade;`);

    this.addSql(`drop table if exists "sandbox_charges" cascade;`);

    this.addSql(`drop table if exists "sandbox_operations" cascade;`);

    this.addSql(`alter table "orders" drop column "ship_recipient", drop column "ship_phone", drop column "ship_postal_code", drop column "ship_line1", drop column "ship_line2";`);

    this.addSql(`alter table "products" drop column "image_sha256";`);
  }

}
