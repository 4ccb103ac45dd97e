/* Maintained by `npm run migration:create -- users`: every migration, oldest first. */
import { Migration20261124131739 } from './Migration20261124131739';

export const migrations = [Migration20261124131739];
