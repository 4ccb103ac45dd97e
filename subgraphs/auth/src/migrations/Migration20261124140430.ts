import { Migration } from '@mikro-orm/migrations';

export class Migration20261124140430 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "login_attempts_at_index" on "login_attempts" ("at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "login_attempts_at_index";`);
  }

}
