import { appError, serviceOperation, serviceUnavailable, type ErrorCode, type ServiceOperationOptions } from '@dorandoran/service-kit';

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

/** createProfile is internal (@inaccessible): users accepts it only with the router secret. */
export type UsersClientOptions = ServiceOperationOptions;

/** What users' input errors carry besides the code. */
type PassedOnExtensions = { field?: string; retryAfter?: number };

const CREATE_PROFILE = 'mutation CreateProfile($input: CreateProfileInput!) { createProfile(input: $input) { id } }';

/** Answers from users that describe the sign-up input, so the caller sees them as users said them. */
const PASSED_ON = new Set<string>(['BAD_USER_INPUT', 'CONFLICT', 'RATE_LIMITED']);

const unavailable = (what: string) =>
  serviceUnavailable(`Sign-up is unavailable: the users service ${what}. Nothing was saved; try again in a minute.`);

export function createUsersClient(options: UsersClientOptions): UsersClient {
  const createProfile = serviceOperation<{ createProfile?: { id: string } | null }>(options, CREATE_PROFILE, () => unavailable('did not answer'));

  return {
    async createProfile(profile) {
      const body = await createProfile.call({ input: profile });
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
    close: () => createProfile.close(),
  };
}
