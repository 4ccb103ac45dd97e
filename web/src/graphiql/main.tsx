import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from 'graphql-ws';
import './graphiql.css';

/**
 * GraphiQL, built into the web app and served by the router at /graphiql: the graph's IDE when
 * Apollo Sandbox (loaded from Apollo's CDN) cannot load. It talks to this router only — HTTP for
 * queries and mutations, graphql-ws on the same URL for subscriptions.
 */
const endpoint = new URL('/graphql', window.location.href);
const socketUrl = `${endpoint.protocol === 'https:' ? 'wss' : 'ws'}://${endpoint.host}${endpoint.pathname}`;

const fetcher = createGraphiQLFetcher({
  url: endpoint.href,
  wsClient: createClient({ url: socketUrl, lazy: true }),
});

const defaultQuery = `# The DoranDoran supergraph, served by this router.
# Sign in with logIn, then put {"authorization": "Bearer <accessToken>"} in Headers below.
{
  __typename
}
`;

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} defaultHeaders={'{\n  "authorization": ""\n}'} />
  </StrictMode>,
);
