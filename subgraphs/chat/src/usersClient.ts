import CircuitBreaker from 'opossum';
import { callService, serviceUnavailable, type Logger, type ServiceResponse } from '@dorandoran/service-kit';

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

export interface UsersClientOptions {
  url: string;
  timeoutMs: number;
  /** `_entities` is for the router: users answers it only with the router secret. */
  routerSecret: string;
  logger: Logger;
}

type EntitiesResponse = ServiceResponse<{ _entities?: (UserSummary | null)[] }>;

const FIND_USERS = 'query FindUsers($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id status } } }';

const unavailable = () =>
  serviceUnavailable('Chat rooms cannot be created right now: the users service did not answer, so the members could not be checked. Nothing was saved; try again in a minute.');

export function createUsersClient(options: UsersClientOptions): UsersClient {
  const post = (ids: readonly string[]): Promise<EntitiesResponse> =>
    callService(options, FIND_USERS, { representations: ids.map((id) => ({ __typename: 'User', id })) });

  // Only transport failures open the circuit; then room creation fails at once instead of each waiting for the timeout.
  const breaker = new CircuitBreaker(post, { timeout: false, errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeout: 10_000 });

  return {
    async find(ids) {
      let body: EntitiesResponse;
      try {
        body = await breaker.fire(ids);
      } catch (error) {
        options.logger.warn({ err: (error as Error).message, url: options.url }, 'users subgraph not reached');
        throw unavailable();
      }
      const found = body.data?._entities;
      if (body.errors?.length || !found) {
        options.logger.error({ errors: body.errors }, 'users refused _entities');
        throw unavailable();
      }
      return new Map(found.filter((user): user is UserSummary => user !== null).map((user) => [user.id, user]));
    },
    close: () => breaker.shutdown(),
  };
}
