/* Maintained by `npm run migration:create -- store`: every migration, oldest first. */
import { Migration20261124153547 } from './Migration20261124153547';
import { Migration20261124182000 } from './Migration20261124182000';
import { Migration20261205183825 } from './Migration20261205183825';

export const migrations = [Migration20261124153547, Migration20261124182000, Migration20261205183825];
