import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { batchByUuid, byKey } from '@dorandoran/service-kit';
import { JobRun } from './entities/JobRun.entity';

export interface Loaders {
  jobRunById: DataLoader<string, JobRun | null>;
}

/** Per-request loaders: one query per batch, results in key order, null for a missing key. */
export function createLoaders(em: EntityManager): Loaders {
  return {
    jobRunById: new DataLoader(batchByUuid(async (ids) => byKey(await em.find(JobRun, { id: { $in: ids } }), (run) => run.id), () => null)),
  };
}
