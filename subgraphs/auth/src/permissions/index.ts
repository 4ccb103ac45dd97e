import { allow, deny, shield } from 'graphql-shield';
import { forbidden, isAdmin, isAuthenticated, isServiceOrAdmin } from '@dorandoran/service-kit';

export const permissions = shield(
  {
    Query: {
      '*': deny,
      _service: allow,
      _entities: allow,
    },
    Mutation: {
      '*': deny,
      signUp: allow,
      logIn: allow,
      refreshSession: allow,
      logOut: isAuthenticated,
      logOutEverywhere: isAuthenticated,
      changePassword: isAuthenticated,
      requestPasswordReset: allow,
      resetPassword: allow,
      setUserRoles: isAdmin,
      purgeEndedSessions: isServiceOrAdmin,
    },
  },
  { allowExternalErrors: true, fallbackError: forbidden(), fallbackRule: allow },
);
