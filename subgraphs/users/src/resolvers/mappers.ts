import type { User } from '../entities/User.entity';

/** What Query.users hands to UserConnection's field resolvers. */
export interface UserConnectionParent {
  users: User[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** Counted only when asked for. */
  count(): Promise<number>;
}
