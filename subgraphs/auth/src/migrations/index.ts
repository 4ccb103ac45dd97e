/* Maintained by `npm run migration:create -- auth`: every migration, oldest first. */
import { Migration20261124132240 } from './Migration20261124132240';
import { Migration20261124140430 } from './Migration20261124140430';

export const migrations = [Migration20261124132240, Migration20261124140430];
