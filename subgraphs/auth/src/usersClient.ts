import CircuitBreaker from 'opossum';
import { appError, callService, serviceUnavailable, type ErrorCode, type Logger, type ServiceResponse } from '@dorandoran/service-kit';

export interface NewProfile {
  id: string;
  nickname: string;
  email: string;
  locale?: string;
}

/** The users subgraph, as signUp needs it. */
export interface UsersClient {
  /** Creates the profile, or throws the users subgraph's own input error, or SERVICE_UNAVAILABLE. */
  createProfile(profile: NewProfile): Promise<void>;
  close(): void;
}

export interface UsersClientOptions {
  url: string;
  timeoutMs: number;
  /** createProfile is internal (@inaccessible): users accepts it only with the router secret. */
  routerSecret: string;
  logger: Logger;
}

type GraphQLResponse = ServiceResponse<{ createProfile?: { id: string } | null }>;
/** What users' input errors carry besides the code. */
type PassedOnExtensions = { field?: string; retryAfter?: number };

const CREATE_PROFILE = 'mutation CreateProfile($input: CreateProfileInput!) { createProfile(input: $input) { id } }';

/** Answers from users that describe the sign-up input, so the caller sees them as users said them. */
const PASSED_ON = new Set<string>(['BAD_USER_INPUT', 'CONFLICT', 'RATE_LIMITED']);

const unavailable = (what: string) =>
  serviceUnavailable(`Sign-up is unavailable: the users service ${what}. Nothing was saved; try again in a minute.`);

export function createUsersClient(options: UsersClientOptions): UsersClient {
  const post = (profile: NewProfile): Promise<GraphQLResponse> => callService(options, CREATE_PROFILE, { input: profile });

  // Only transport failures open the circuit; then sign-ups fail at once instead of each waiting for the timeout.
  const breaker = new CircuitBreaker(post, { timeout: false, errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeout: 10_000 });

  return {
    async createProfile(profile) {
      let body: GraphQLResponse;
      try {
        body = await breaker.fire(profile);
      } catch (error) {
        options.logger.warn({ err: (error as Error).message, url: options.url }, 'users subgraph not reached');
        throw unavailable('did not answer');
      }
      const [first] = body.errors ?? [];
      if (first) {
        const code = first.extensions?.code;
        if (code && PASSED_ON.has(code)) {
          const { field, retryAfter } = (first.extensions ?? {}) as PassedOnExtensions;
          throw appError(code as ErrorCode, first.message, { ...(field && { field }), ...(retryAfter && { retryAfter }) });
        }
        options.logger.error({ code, message: first.message }, 'users refused createProfile');
        throw unavailable('could not create the profile');
      }
      if (!body.data?.createProfile?.id) throw unavailable('could not create the profile');
    },
    close: () => breaker.shutdown(),
  };
}
