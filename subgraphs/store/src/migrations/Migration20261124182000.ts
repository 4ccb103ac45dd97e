import { Migration } from '@mikro-orm/migrations';
import { eventTablesSql } from '@dorandoran/service-kit';

/** The event backbone's tables: the outbox this service's events wait in, and the ids of events it consumed. */
export class Migration20261124182000 extends Migration {

  override async up(): Promise<void> {
    for (const sql of eventTablesSql) this.addSql(sql);
  }

}
