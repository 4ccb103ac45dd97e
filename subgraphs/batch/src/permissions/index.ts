import { allow, deny, shield } from 'graphql-shield';
import { forbidden, isAdmin } from '@dorandoran/service-kit';

/** Everything batch serves is for administrators; the router enforces the same with @requiresScopes. */
export const permissions = shield(
  {
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
  },
  { allowExternalErrors: true, fallbackError: forbidden(), fallbackRule: allow },
);
