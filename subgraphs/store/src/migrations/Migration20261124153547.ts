import { Migration } from '@mikro-orm/migrations';

export class Migration20261124153547 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "order_status" as enum ('PENDING_PAYMENT', 'PAID', 'SHIPPED', 'COMPLETED', 'CANCELLED', 'REFUNDED', 'PAYMENT_FAILED');`);
    this.addSql(`create type "order_actor_role" as enum ('BUYER', 'ADMIN', 'SYSTEM');`);
    this.addSql(`create type "payment_status" as enum ('CONFIRMING', 'APPROVED', 'DECLINED', 'REFUNDING', 'REFUNDED');`);
    this.addSql(`create table "orders" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "buyer_id" uuid not null, "status" "order_status" not null default 'PENDING_PAYMENT', "total_amount" int not null, "idempotency_key" varchar(100) not null, constraint "orders_pkey" primary key ("id"));`);
    this.addSql(`create index "orders_status_id_index" on "orders" ("status", "id");`);
    this.addSql(`create index "orders_buyer_id_id_index" on "orders" ("buyer_id", "id");`);
    this.addSql(`alter table "orders" add constraint "orders_buyer_id_idempotency_key_unique" unique ("buyer_id", "idempotency_key");`);

    this.addSql(`create table "order_status_changes" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "order_id" uuid not null, "from_status" "order_status" null, "to_status" "order_status" not null, "actor_id" uuid null, "actor_role" "order_actor_role" not null, "reason" text null, constraint "order_status_changes_pkey" primary key ("id"));`);
    this.addSql(`create index "order_status_changes_order_id_index" on "order_status_changes" ("order_id");`);

    this.addSql(`create table "payments" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "order_id" uuid not null, "provider" varchar(20) not null, "payment_key" varchar(200) not null, "amount" int not null, "status" "payment_status" not null default 'CONFIRMING', "transaction_id" varchar(200) null, "method" varchar(50) null, "approved_at" timestamptz null, "failure_code" varchar(100) null, "failure_reason" text null, "refund_reason" text null, "refunded_at" timestamptz null, "locked_until" timestamptz null, "attempts" int not null default 0, constraint "payments_pkey" primary key ("id"));`);
    this.addSql(`alter table "payments" add constraint "payments_order_id_unique" unique ("order_id");`);

    this.addSql(`create table "products" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "name" varchar(100) not null, "description" text null, "category" varchar(50) null, "price" int not null, "stock" int not null, "active" boolean not null default true, constraint "products_pkey" primary key ("id"), constraint products_price_positive check (price > 0), constraint products_stock_not_negative check (stock >= 0));`);
    this.addSql(`create index "products_active_id_index" on "products" ("active", "id");`);

    this.addSql(`create table "order_items" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "order_id" uuid not null, "product_id" uuid not null, "product_name" varchar(100) not null, "unit_price" int not null, "quantity" int not null, constraint "order_items_pkey" primary key ("id"));`);
    this.addSql(`create index "order_items_order_id_index" on "order_items" ("order_id");`);

    this.addSql(`create table "payment_webhook_events" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "provider" varchar(20) not null, "digest" varchar(64) not null, "event_type" varchar(100) not null, constraint "payment_webhook_events_pkey" primary key ("id"));`);
    this.addSql(`alter table "payment_webhook_events" add constraint "payment_webhook_events_digest_unique" unique ("digest");`);

    this.addSql(`alter table "order_status_changes" add constraint "order_status_changes_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade;`);

    this.addSql(`alter table "payments" add constraint "payments_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade;`);

    this.addSql(`alter table "order_items" add constraint "order_items_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade;`);
    this.addSql(`alter table "order_items" add constraint "order_items_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade;`);
  }

}
