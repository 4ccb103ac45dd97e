import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { parse } from 'graphql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorText } from '../src/errorText';

/**
 * What the app's error lines say (components/Status.tsx), for the failures Apollo Client reports
 * over real HTTP: the graph's errors, a proxy's error page, and no server at all.
 */

const QUERY = parse('query Me { me { id } }');

/** Answers every POST with this status, content type and body, as the server in front of the app might. */
function answering(status: number, contentType: string, body: string): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(status, { 'content-type': contentType }).end(body));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

/** The error Apollo Client raises for the query against `uri`. */
async function failureFrom(uri: string): Promise<unknown> {
  const client = new ApolloClient({ link: new HttpLink({ uri }), cache: new InMemoryCache() });
  try {
    await client.query({ query: QUERY, fetchPolicy: 'network-only' });
  } catch (error) {
    return error;
  }
  throw new Error('the query succeeded');
}

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

async function failureWhenAnswered(status: number, contentType: string, body: string): Promise<unknown> {
  const server = await answering(status, contentType, body);
  servers.push(server);
  return failureFrom(urlOf(server));
}

describe('errorText (what the app shows for a failed operation)', () => {
  test("the graph's errors, each message in its own words", async () => {
    const error = await failureWhenAnswered(
      200,
      'application/graphql-response+json',
      JSON.stringify({
        data: null,
        errors: [
          { message: 'Sign in to see this.', extensions: { code: 'UNAUTHENTICATED' } },
          { message: 'The users service is unavailable; try again shortly.', extensions: { code: 'SUBGRAPH_UNAVAILABLE' } },
        ],
      }),
    );
    expect(errorText(error)).toBe('Sign in to see this. The users service is unavailable; try again shortly.');
  });

  test("a refusal with a GraphQL body (the router's 429 over its budget) shows the body's message", async () => {
    const error = await failureWhenAnswered(
      429,
      'application/json',
      JSON.stringify({ errors: [{ message: 'Too many requests from your address; try again in 12 s.', extensions: { code: 'RATE_LIMITED', retryAfter: 12 } }] }),
    );
    expect(errorText(error)).toBe('Too many requests from your address; try again in 12 s.');
  });

  test("a proxy's HTML error page shows the status and asks to try again, not the HTML", async () => {
    const error = await failureWhenAnswered(502, 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>');
    expect(errorText(error)).toBe('The server answered 502; try again.');
  });

  test('no server at the address says the server cannot be reached', async () => {
    const server = await answering(200, 'application/json', '{}');
    const uri = urlOf(server);
    await new Promise((resolve) => server.close(resolve));
    expect(errorText(await failureFrom(uri))).toBe('Cannot reach the server; check your connection and try again.');
  });

  test('anything else shows its own message', () => {
    expect(errorText(new Error('Choose at least one product.'))).toBe('Choose at least one product.');
    expect(errorText('plain words')).toBe('plain words');
  });
});
