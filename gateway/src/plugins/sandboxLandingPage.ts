import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';

/** The embeddable Sandbox's published build (Apollo's CDN; the browser loads it, not the router). */
const SANDBOX_SCRIPT = 'https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js';

/** Where the router serves its own GraphiQL, which needs nothing beyond the router (gateway/src/webApp.ts). */
export const LOCAL_GRAPHIQL_PATH = '/graphiql';

/**
 * In development, `GET /graphql` from a browser opens Apollo Sandbox set up for this router: its
 * HTTP endpoint, subscriptions over graphql-ws on the same URL, and an empty `authorization`
 * header to paste `Bearer <access token>` into (it is sent with queries and as the graphql-ws
 * connection parameter). The page says where the local GraphiQL is, and says it again in the
 * Sandbox's place when Apollo's CDN cannot be reached. Production has no landing page.
 */
export function sandboxLandingPage(mode: 'development' | 'production'): ApolloServerPlugin {
  if (mode === 'production') return ApolloServerPluginLandingPageDisabled();
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html: SANDBOX_HTML };
        },
      };
    },
  };
}

/** Loads the Sandbox, or says what to use instead when its script cannot be fetched. */
const SANDBOX_INIT = `
  var endpoint = window.location.origin + window.location.pathname;
  var script = document.createElement('script');
  script.src = '${SANDBOX_SCRIPT}';
  script.onload = function () {
    new window.EmbeddedSandbox({
      target: '#sandbox',
      initialEndpoint: endpoint,
      initialSubscriptionEndpoint: endpoint.replace(/^http/, 'ws'),
      endpointIsEditable: false,
      initialState: {
        pollForSchemaUpdates: true,
        sharedHeaders: { authorization: '' },
      },
    });
  };
  script.onerror = function () {
    document.getElementById('sandbox').hidden = true;
    document.getElementById('offline').hidden = false;
  };
  document.head.appendChild(script);
`;

const STYLE = `
  html, body { height: 100%; margin: 0; font-family: system-ui, sans-serif; }
  body { display: flex; flex-direction: column; }
  .bar { padding: 0.35rem 0.8rem; font-size: 0.85rem; background: #f5f5f7; border-bottom: 1px solid #ddd; }
  #sandbox { flex: 1; }
  #offline { max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
`;

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The Sandbox page's own policy: its one inline script by hash and the Sandbox's script from
 * Apollo's CDN, nothing else runs; the Sandbox's frame and requests go to Apollo. Styles may be
 * inline, as the embed sets its own (a style cannot run code).
 */
export const SANDBOX_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src ${hashOf(SANDBOX_INIT)} https://embeddable-sandbox.cdn.apollographql.com`,
  "style-src 'self' 'unsafe-inline'",
  'frame-src https://sandbox.embed.apollographql.com',
  "img-src 'self' data: https:",
  "connect-src 'self' https://*.apollographql.com",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SANDBOX_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>DoranDoran supergraph · Apollo Sandbox</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${STYLE}</style>
</head>
<body>
<p class="bar">Apollo Sandbox loads from Apollo's servers. Offline, or blocked? Use the <a href="${LOCAL_GRAPHIQL_PATH}">local GraphiQL</a>, served by this router.</p>
<div id="sandbox"></div>
<main id="offline" hidden>
<h1>Apollo Sandbox could not be loaded</h1>
<p>Its script comes from Apollo's CDN, which this browser cannot reach right now.</p>
<p>Open the <a href="${LOCAL_GRAPHIQL_PATH}">local GraphiQL at ${LOCAL_GRAPHIQL_PATH}</a>: it is served by this router and needs no other network.</p>
</main>
<script>${SANDBOX_INIT}</script>
</body>
</html>`;
