import { Migration } from '@mikro-orm/migrations';

export class Migration20261124182759 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "accounts" add column "status_changed_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "accounts" drop column "status_changed_at";`);
  }

}
