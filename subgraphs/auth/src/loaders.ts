import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Account } from './entities/Account.entity';

export interface Loaders {
  accountById: DataLoader<string, Account | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id that is not a UUID cannot name an account, and PostgreSQL would reject the whole statement. */
export const isUuid = (id: string): boolean => UUID.test(id);

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
