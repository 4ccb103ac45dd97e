import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '@dorandoran/service-kit';
import { User } from './entities/User.entity';

export interface Loaders {
  userById: DataLoader<string, User | null>;
}

/** Per-request loaders: one SQL statement per batch, results in key order, null for a missing key. */
export function createLoaders(em: EntityManager): Loaders {
  return {
    userById: new DataLoader(async (ids) => {
      // An id that is not a UUID cannot match, and would make PostgreSQL reject the whole batch.
      const valid = ids.filter(isUuid);
      const users = valid.length ? await em.find(User, { id: { $in: valid } }) : [];
      const byId = new Map(users.map((user) => [user.id, user]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
