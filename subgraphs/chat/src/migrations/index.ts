/* Maintained by `npm run migration:create -- chat`: every migration, oldest first. */
import { Migration20261124142313 } from './Migration20261124142313';

export const migrations = [Migration20261124142313];
