import type { JobRunResolvers } from '../__generated__/resolvers-types';
import { JobRun as JobRunEntity } from '../entities/JobRun.entity';

export const JobRun: JobRunResolvers = {
  queuedAt: (run) => run.createdAt,
  __resolveReference: (reference, { em }) => em.findOne(JobRunEntity, { id: reference.id }),
};
