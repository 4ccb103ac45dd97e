import { Migration } from '@mikro-orm/migrations';

export class Migration20261124183632 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "users" add column "last_login_at" timestamptz null, add column "dormant_since" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "users" drop column "last_login_at", drop column "dormant_since";`);
  }

}
