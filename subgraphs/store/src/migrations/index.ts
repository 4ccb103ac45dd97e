/* Maintained by `npm run migration:create -- store`: every migration, oldest first. */
import { Migration20261124153547 } from './Migration20261124153547';

export const migrations = [Migration20261124153547];
