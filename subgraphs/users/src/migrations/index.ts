/* Maintained by `npm run migration:create -- users`: every migration, oldest first. */
import { Migration20261124131739 } from './Migration20261124131739';
import { Migration20261124182000 } from './Migration20261124182000';
import { Migration20261124183632 } from './Migration20261124183632';

export const migrations = [Migration20261124131739, Migration20261124182000, Migration20261124183632];
