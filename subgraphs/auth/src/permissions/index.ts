import { allow, deny, type IRules } from 'graphql-shield';
import { isAdmin, isAuthenticated, isServiceOrAdmin } from '@dorandoran/service-kit';

export const permissions: IRules = {
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
};
