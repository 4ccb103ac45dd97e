import type { JobRunResolvers } from '../__generated__/resolvers-types';

export const JobRun: JobRunResolvers = {
  queuedAt: (run) => run.createdAt,
  __resolveReference: (reference, { loaders }) => loaders.jobRunById.load(reference.id),
};
