import { ROUTER_SECRET_HEADER, SERVICE_SIGN_IN_HEADER, type Logger } from '@dorandoran/service-kit';

export interface ServiceClient {
  /** Sends an operation to the router as the batch service; throws with the graph's error codes and messages. */
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export interface ServiceClientOptions {
  routerUrl: string;
  /** Auth's own GraphQL endpoint, where the service account signs in with the router secret. */
  authUrl: string;
  routerSecret: string;
  email: string;
  password: string;
  timeoutMs: number;
  logger: Logger;
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const LOG_IN = 'mutation BatchLogIn($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken expiresIn } }';

/**
 * The batch service's way into the graph: it signs in at auth directly (with the router secret and
 * SERVICE_SIGN_IN_HEADER, so no client's traffic or guesses at the router can keep it out), calls
 * the router like any client with that token (scope `service`, a budget of its own there), keeps
 * the token until shortly before it expires, and signs in again once when the router says the
 * token is no longer good.
 */
export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  let session: { token: string; renewAt: number } | undefined;

  async function post<T>(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown>): Promise<{ status: number; body: GraphQLAnswer<T> }> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new Error(`${url} did not answer: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status} without a GraphQL answer` }] }))) as GraphQLAnswer<T>;
    return { status: response.status, body };
  }

  const asService = <T>(query: string, variables: Record<string, unknown>, token: string) =>
    post<T>(options.routerUrl, { authorization: `Bearer ${token}` }, query, variables);

  const describe = (errors: GraphQLAnswer<unknown>['errors']) =>
    (errors ?? []).map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`).join('; ');

  async function signIn(): Promise<string> {
    const { body } = await post<{ logIn: { accessToken: string; expiresIn: number } }>(
      options.authUrl,
      { [ROUTER_SECRET_HEADER]: options.routerSecret, [SERVICE_SIGN_IN_HEADER]: '1' },
      LOG_IN,
      { email: options.email, password: options.password },
    );
    if (!body.data?.logIn) throw new Error(`the batch service could not sign in: ${describe(body.errors)}`);
    const { accessToken, expiresIn } = body.data.logIn;
    session = { token: accessToken, renewAt: Date.now() + Math.max(0, expiresIn - 60) * 1000 };
    options.logger.debug('batch service signed in');
    return accessToken;
  }

  const token = async () => (session && Date.now() < session.renewAt ? session.token : signIn());

  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}) {
      let answer = await asService<T>(query, variables, await token());
      if (answer.status === 401) answer = await asService<T>(query, variables, await signIn());
      if (answer.body.errors?.length || !answer.body.data) throw new Error(describe(answer.body.errors) || `HTTP ${answer.status} without data`);
      return answer.body.data;
    },
  };
}
