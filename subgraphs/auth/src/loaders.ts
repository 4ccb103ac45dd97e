import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '@dorandoran/service-kit';
import { Account } from './entities/Account.entity';

export interface Loaders {
  accountById: DataLoader<string, Account | null>;
}

/** Per-request loaders: one SQL statement per batch, results in key order, null for a missing key. */
export function createLoaders(em: EntityManager): Loaders {
  return {
    accountById: new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const accounts = valid.length ? await em.find(Account, { id: { $in: valid } }) : [];
      const byId = new Map(accounts.map((account) => [account.id, account]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
