import { createServer, type Server } from 'node:http';
import { startTestRouter, type TestSubgraph } from './helpers/router';

/**
 * A subgraph that answers with an HTTP error (its context refused the token, it could not read the
 * revocation list, a proxy in front of it gave up): the client hears what the subgraph said, named
 * after it, and never the subgraph's address or raw body.
 */

const NOTES: TestSubgraph = {
  name: 'notes',
  typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { note: String }`,
  resolvers: { Query: { note: () => 'hello' } },
};
const CLOCK: TestSubgraph = {
  name: 'clock',
  typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { now: String }`,
  resolvers: { Query: { now: () => 'noon' } },
};

type Router = Awaited<ReturnType<typeof startTestRouter>>;
let router: Router;
let standIn: Server | undefined;
/** What the stand-in for `clock` answers next. */
let answer: { status: number; type: string; body: string };

beforeAll(async () => {
  router = await startTestRouter([NOTES, CLOCK]);
  // The clock subgraph is replaced on its port by a server that answers only with errors.
  const port = Number(new URL(router.subgraphUrls[1]).port);
  await router.stopSubgraph(1);
  standIn = createServer((_req, res) => res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body));
  await new Promise<void>((resolve) => standIn!.listen(port, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => standIn?.close(resolve));
  await router?.dispose();
});

const graphqlError = (message: string, code: string) => JSON.stringify({ errors: [{ message, extensions: { code } }] });

test.each([
  ['503 with its own SERVICE_UNAVAILABLE', 503, graphqlError('The sign-in check is briefly unavailable; try again shortly.', 'SERVICE_UNAVAILABLE'), 'SERVICE_UNAVAILABLE', /sign-in check/],
  ['401 with its own UNAUTHENTICATED', 401, graphqlError('The access token has been revoked. Sign in again.', 'UNAUTHENTICATED'), 'UNAUTHENTICATED', /revoked/],
  ['a bare 502 from a proxy', 502, '<html>Bad Gateway</html>', 'SERVICE_UNAVAILABLE', /clock service is unavailable \(HTTP 502\)/],
])('%s: that subgraph’s field is null with the code, the rest is answered, nothing of its address leaks', async (_case, status, body, code, message) => {
  answer = { status, type: status === 502 ? 'text/html' : 'application/json', body };
  const response = await router.execute('{ note now }');
  expect(response.status).toBe(200);
  expect(response.data).toEqual({ note: 'hello', now: null });
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code, subgraph: 'clock' } });
  expect(JSON.stringify(response)).not.toMatch(/127\.0\.0\.1|html/);
});

test('a 500 from a subgraph is an internal error, logged, with nothing of its body', async () => {
  answer = { status: 500, type: 'text/plain', body: 'stack trace at /srv/clock.js:12' };
  const response = await router.execute('{ note now }');
  expect(response.data).toEqual({ note: 'hello', now: null });
  expect(response.errors).toEqual([expect.objectContaining({ extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
  expect(JSON.stringify(response)).not.toMatch(/stack trace|127\.0\.0\.1/);
});

