import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  runJob: (_parent, { name }, { batch }) => batch.engine.runNow(name),
  setJobEnabled: (_parent, { name, enabled }, { batch }) => batch.engine.setEnabled(name, enabled),
};
