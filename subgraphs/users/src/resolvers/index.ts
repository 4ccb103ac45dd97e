import { DateTime } from '@dorandoran/service-kit';
import type { Resolvers } from '../__generated__/resolvers-types';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { User } from './User';
import { UserConnection } from './UserConnection';

export const resolvers: Resolvers = {
  DateTime,
  Mutation,
  Query,
  User,
  UserConnection,
};
