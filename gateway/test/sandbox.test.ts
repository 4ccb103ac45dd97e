import { startTestRouter } from './helpers/router';

const GREETINGS = {
  name: 'greetings',
  typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { hello: String }`,
  resolvers: { Query: { hello: () => 'hello' } },
};

/** What a browser sends when it opens the URL. */
const openInBrowser = (url: string) => fetch(url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });

describe('Apollo Sandbox at GET /graphql', () => {
  test('development: a browser gets Sandbox set up for this router (HTTP, graphql-ws, an authorization header)', async () => {
    const router = await startTestRouter([GREETINGS]);
    try {
      const response = await openInBrowser(router.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const html = await response.text();
      expect(html).toContain('new window.EmbeddedSandbox(');
      expect(html).toContain('initialEndpoint: endpoint');
      expect(html).toContain("initialSubscriptionEndpoint: endpoint.replace(/^http/, 'ws')");
      expect(html).toContain("sharedHeaders: { authorization: '' }");
      // Where to go when Apollo's CDN cannot be reached, and the page's own policy (its inline script by hash).
      expect(html).toContain('<a href="/graphiql">local GraphiQL</a>');
      const policy = response.headers.get('content-security-policy')!;
      expect(policy).toMatch(/script-src 'sha256-[\w+/=]+' https:\/\/embeddable-sandbox\.cdn\.apollographql\.com/);
      expect(policy).toContain('frame-src https://sandbox.embed.apollographql.com');
      // The page does not get in the way of the graph: a query still answers as JSON.
      expect((await router.execute('{ hello }')).data).toEqual({ hello: 'hello' });
    } finally {
      await router.dispose();
    }
  });

  test('production: no landing page, and GraphQL over GET still needs a query', async () => {
    const router = await startTestRouter([GREETINGS], { env: { NODE_ENV: 'production' } });
    try {
      const response = await openInBrowser(router.url);
      expect(response.headers.get('content-type') ?? '').not.toContain('text/html');
      expect(await response.text()).not.toContain('EmbeddedSandbox');
      expect(response.status).toBe(400);
    } finally {
      await router.dispose();
    }
  });
});
