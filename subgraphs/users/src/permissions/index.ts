import { allow, deny, type IRules } from 'graphql-shield';
import { isAdmin, isAuthenticated, isServiceOrAdmin } from '@dorandoran/service-kit';
import { isSelfOrAdmin, isTrustedService } from './rules';

export const permissions: IRules = {
  Query: {
    '*': deny,
    me: isAuthenticated,
    user: allow,
    users: isAdmin,
    usersByNickname: isAuthenticated,
    _service: allow,
    _entities: allow,
  },
  Mutation: {
    '*': deny,
    updateProfile: isAuthenticated,
    setUserStatus: isAdmin,
    deleteAccount: isAuthenticated,
    createProfile: isTrustedService,
    markDormantUsers: isServiceOrAdmin,
  },
  User: {
    dormantSince: isSelfOrAdmin,
  },
};
