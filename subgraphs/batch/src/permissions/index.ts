import { allow, deny, type IRules } from 'graphql-shield';
import { isAdmin } from '@dorandoran/service-kit';

/** Everything batch serves is for administrators; the router enforces the same with @requiresScopes. */
export const permissions: IRules = {
  Query: {
    '*': deny,
    jobs: isAdmin,
    jobRuns: isAdmin,
    dailyReport: isAdmin,
    _service: allow,
    _entities: isAdmin,
  },
  Mutation: {
    '*': deny,
    runJob: isAdmin,
    setJobEnabled: isAdmin,
  },
};
