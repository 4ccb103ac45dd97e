import { randomUUID } from 'node:crypto';
import { ROUTER_SECRET_HEADER } from '@dorandoran/service-kit';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * A graphql-ws client to one subgraph as one token, shared by every topic with that token
 * (sharedUpstreams.ts). `interrupted` is told when its feed stops being continuous.
 */
export function upstreamClient(options: { url: string; authorization: string; routerSecret: string; interrupted: () => void }): Client {
  const { interrupted } = options;
  let wasConnected = false;
  return createClient({
    url: options.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: {
      authorization: options.authorization || undefined,
      [ROUTER_SECRET_HEADER]: options.routerSecret,
      'x-request-id': randomUUID(),
    },
    lazy: true,
    lazyCloseTimeout: 0,
    retryAttempts: 3,
    // A refused token (4403) will be refused again; anything else may be a subgraph starting. A
    // feed that was connected is not resumed: its client is told instead (interrupted, below).
    shouldRetry: (event) => !wasConnected && (event as { code?: number }).code !== 4403,
    on: {
      // Connected only on a retry: the subscriptions waited on a subgraph that was down, and
      // events sent once it was back but before this moment reached nobody.
      connected: (_socket, _payload, wasRetry) => (wasRetry ? interrupted() : void (wasConnected = true)),
      // A socket error (a killed subgraph resets the connection) comes before its close, and the
      // subscriptions hear it next: the client must be told first, or it would take their error
      // for the feed's end.
      error: () => wasConnected && interrupted(),
      closed: (event) => {
        const code = (event as { code?: number }).code;
        if (wasConnected && code !== 1000 && code !== 4403) interrupted();
      },
    },
  });
}
