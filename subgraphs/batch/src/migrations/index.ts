/* Maintained by `npm run migration:create -- batch`: every migration, oldest first. */
import { Migration20261124184059 } from './Migration20261124184059';

export const migrations = [Migration20261124184059];
