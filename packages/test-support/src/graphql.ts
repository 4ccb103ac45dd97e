/** A real HTTP GraphQL client for tests: returns the status and the parsed body. */
export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export async function post<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const request = () =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
  const response = await request().catch((error: unknown) => {
    if (!closedBeforeAnswering(error)) throw error;
    return request();
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

/**
 * A kept-alive connection the server closed as the request went out on it (its idle timer and the
 * request met after a test blocked the event loop for seconds, starting services in-process): fetch
 * fails with a reset before any answer. Browsers send such a request again on a new connection, and
 * so does `post`, once.
 */
function closedBeforeAnswering(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } }).cause?.code;
  return error instanceof TypeError && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE');
}

export const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });
