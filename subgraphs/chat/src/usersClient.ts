import { serviceOperation, serviceUnavailable, type ServiceOperationOptions } from '@dorandoran/service-kit';

/** A user as chat needs to know one before adding them to a room. */
export interface UserSummary {
  id: string;
  status: string;
}

/** The users subgraph, as room creation needs it. */
export interface UsersClient {
  /** The users that exist, by id, from one batched call; throws SERVICE_UNAVAILABLE when users cannot answer. */
  find(ids: readonly string[]): Promise<Map<string, UserSummary>>;
  close(): void;
}

/** `_entities` is for the router: users answers it only with the router secret. */
export type UsersClientOptions = ServiceOperationOptions;

const FIND_USERS = 'query FindUsers($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id status } } }';

const unavailable = () =>
  serviceUnavailable('Chat rooms cannot be created right now: the users service did not answer, so the members could not be checked. Nothing was saved; try again in a minute.');

export function createUsersClient(options: UsersClientOptions): UsersClient {
  const findUsers = serviceOperation<{ _entities?: (UserSummary | null)[] }>(options, FIND_USERS, unavailable);

  return {
    async find(ids) {
      const body = await findUsers.call({ representations: ids.map((id) => ({ __typename: 'User', id })) });
      const found = body.data?._entities;
      if (body.errors?.length || !found) {
        options.logger.error({ errors: body.errors }, 'users refused _entities');
        throw unavailable();
      }
      return new Map(found.filter((user): user is UserSummary => user !== null).map((user) => [user.id, user]));
    },
    close: () => findUsers.close(),
  };
}
