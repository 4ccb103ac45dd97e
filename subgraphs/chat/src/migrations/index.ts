/* Maintained by `npm run migration:create -- chat`: every migration, oldest first. */
import { Migration20261124142313 } from './Migration20261124142313';
import { Migration20261124182000 } from './Migration20261124182000';
import { Migration20261124183717 } from './Migration20261124183717';

export const migrations = [Migration20261124142313, Migration20261124182000, Migration20261124183717];
