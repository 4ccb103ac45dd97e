import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';

/** The embeddable Sandbox's published build (Apollo's CDN; the browser loads it, not the router). */
const SANDBOX_SCRIPT = 'https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js';

/**
 * In development, `GET /graphql` from a browser opens Apollo Sandbox set up for this router: its
 * HTTP endpoint, subscriptions over graphql-ws on the same URL, and an empty `authorization`
 * header to paste `Bearer <access token>` into (it is sent with queries and as the graphql-ws
 * connection parameter). Production has no landing page.
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

const SANDBOX_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>DoranDoran supergraph · Apollo Sandbox</title>
<style>html, body, #sandbox { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="sandbox"></div>
<script src="${SANDBOX_SCRIPT}"></script>
<script>
  var endpoint = window.location.origin + window.location.pathname;
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
</script>
</body>
</html>`;
