import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * A real graphql-ws client, as a frontend's GraphQLWsLink (or the router, upstream) opens one.
 * connectionParams carry the identity: `bearer(token)`, the router secret, or nothing.
 */
export function wsClient(httpUrl: string, connectionParams: Record<string, string> = {}): Client {
  return createClient({ url: httpUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
}

/** Polls until the condition holds, or fails naming what did not happen. */
export async function eventually(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves like the promise, or rejects when it takes longer than `ms`: a hang fails the test with a reason. */
export async function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A service's GET /health body. */
export async function health<T = Record<string, any>>(graphqlUrl: string): Promise<T> {
  const response = await fetch(graphqlUrl.replace(/\/graphql$/, '/health'));
  return (await response.json()) as T;
}
