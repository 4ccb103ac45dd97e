import CircuitBreaker from 'opossum';
import { ROUTER_SECRET_HEADER, serviceUnavailable, type Logger } from '@dorandoran/service-kit';

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

interface EntitiesResponse {
  data?: { _entities?: (UserSummary | null)[] } | null;
  errors?: { message: string }[];
}

const FIND_USERS = 'query FindUsers($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id status } } }';

const unavailable = () =>
  serviceUnavailable('Chat rooms cannot be created right now: the users service did not answer, so the members could not be checked. Nothing was saved; try again in a minute.');

export function createUsersClient(options: UsersClientOptions): UsersClient {
  async function post(ids: readonly string[]): Promise<EntitiesResponse> {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ROUTER_SECRET_HEADER]: options.routerSecret },
      body: JSON.stringify({ query: FIND_USERS, variables: { representations: ids.map((id) => ({ __typename: 'User', id })) } }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.headers.get('content-type')?.includes('json')) throw new Error(`users answered HTTP ${response.status} without JSON`);
    return (await response.json()) as EntitiesResponse;
  }

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
