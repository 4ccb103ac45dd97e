import { DateTime } from '@dorandoran/service-kit';
import type { Resolvers } from '../__generated__/resolvers-types';
import { DateScalar, JSONScalar } from '../scalars';
import { JobRun } from './JobRun';
import { Mutation } from './Mutation';
import { Query } from './Query';

export const resolvers: Resolvers = {
  Date: DateScalar,
  DateTime,
  JSON: JSONScalar,
  JobRun,
  Mutation,
  Query,
};
