/* Maintained by `npm run migration:create -- auth`: every migration, oldest first. */
import { Migration20261124132240 } from './Migration20261124132240';
import { Migration20261124140430 } from './Migration20261124140430';
import { Migration20261124182000 } from './Migration20261124182000';
import { Migration20261124182759 } from './Migration20261124182759';
import { Migration20261205141354 } from './Migration20261205141354';

export const migrations = [Migration20261124132240, Migration20261124140430, Migration20261124182000, Migration20261124182759, Migration20261205141354];
