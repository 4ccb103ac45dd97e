import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, ServerError } from '@apollo/client';
import { getMainDefinition } from '@apollo/client/utilities';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { catchError, from, mergeMap, Observable, of, throwError } from 'rxjs';
import { persistedBody, persistedId } from './persisted';
import { session, SESSION_HEADERS } from './session';

/** Operations that do not carry the access token, and whose 401 is an answer, not an expired token. */
const WITHOUT_TOKEN = new Set(['LogIn', 'SignUp', 'RefreshSession', 'RequestPasswordReset', 'ResetPassword']);

const bearer = () => {
  const token = session.get()?.accessToken;
  return token ? `Bearer ${token}` : undefined;
};

const expired = (error: unknown) =>
  (ServerError.is(error) && error.statusCode === 401) ||
  (CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED'));

/**
 * Sends the access token; when the router says it expired, refreshes once (shared by every
 * request that failed meanwhile) and sends the operation again with the new token.
 */
const authLink = new ApolloLink((operation, forward) => {
  const send = () => {
    const authorization = WITHOUT_TOKEN.has(operation.operationName ?? '') ? undefined : bearer();
    operation.setContext(({ headers = {} }: { headers?: Record<string, string> }) => {
      const { authorization: _previous, ...rest } = headers;
      return { headers: authorization ? { ...rest, authorization } : rest };
    });
    return forward(operation);
  };
  if (WITHOUT_TOKEN.has(operation.operationName ?? '') || !bearer()) return send();
  const retryAfterRefresh = <T>(fallback: Observable<T>) => from(session.refresh()).pipe(mergeMap((renewed) => (renewed ? send() : fallback)));
  return send().pipe(
    // The router's 401 arrives as a result with UNAUTHENTICATED errors (application/graphql-response+json)…
    mergeMap((result) => (result.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED') ? retryAfterRefresh(of(result)) : of(result))),
    // …or, from a proxy in between, as an HTTP error.
    catchError((error: unknown) => (expired(error) ? retryAfterRefresh(throwError(() => error)) : throwError(() => error))),
  );
});

/** Every operation of the app is in the router's manifest: send its id, not its text. */
const persistedLink = new ApolloLink((operation, forward) => {
  const sha256Hash = persistedId(operation.query);
  if (sha256Hash) {
    Object.assign(operation.extensions, { persistedQuery: { version: 1, sha256Hash } });
    operation.setContext({ http: { includeQuery: false, includeExtensions: true } });
  }
  return forward(operation);
});

const socketUrl = () => `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/graphql`;

/** The token the socket connected with: a 4403 for an older token needs no refresh. */
let socketToken: string | undefined;

/** Told when the socket is back after losing its connection: what happened meanwhile reached no subscription. */
const reconnectListeners = new Set<() => void>();

export function onSocketReconnected(listener: () => void): () => void {
  reconnectListeners.add(listener);
  return () => reconnectListeners.delete(listener);
}

/** graphql-ws's backoff (2^n s plus 0.3–3 s), capped at 10 s so a long outage is not followed by minutes of waiting. */
const MAX_RETRY_WAIT_MS = 10_000;
const retryWait = (retries: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, MAX_RETRY_WAIT_MS) + 300 + Math.random() * 2700));

/** One graphql-ws connection for every subscription; it reconnects with the current token. */
export const socket = createClient({
  url: socketUrl,
  lazy: true,
  connectionParams: () => {
    socketToken = bearer();
    return socketToken ? { authorization: socketToken } : {};
  },
  retryAttempts: Infinity,
  shouldRetry: () => true,
  retryWait,
  on: {
    connected: (_socket, _payload, wasRetry) => {
      if (wasRetry) for (const listener of reconnectListeners) listener();
    },
    closed: (event) => {
      // 4403: the token expired or the session ended; refresh before the reconnection, unless that happened already.
      if ((event as CloseEvent).code === 4403 && socketToken && socketToken === bearer()) void session.refresh();
    },
  },
});

/** Subscriptions over graphql-ws, sent with the exact text the router's manifest holds. */
const socketLink = new ApolloLink(
  (operation) =>
    new Observable((observer) =>
      socket.subscribe(
        { query: persistedBody(operation.query) ?? print(operation.query), variables: operation.variables, operationName: operation.operationName },
        {
          next: (result) => observer.next(result as ApolloLink.Result),
          error: (error) => observer.error(error),
          complete: () => observer.complete(),
        },
      ),
    ),
);

const isSubscription = ({ query }: ApolloLink.Operation) => {
  const definition = getMainDefinition(query);
  return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
};

export const client = new ApolloClient({
  // The session header on every request: the router sets and clears the refresh cookie from logIn, signUp and logOut's answers.
  link: ApolloLink.split(isSubscription, socketLink, ApolloLink.from([authLink, persistedLink, new HttpLink({ uri: '/graphql', headers: SESSION_HEADERS })])),
  cache: new InMemoryCache(),
});

/**
 * Signing in or out, or a renewed token, changes what the socket connects with: it reconnects with
 * the new token. Other news of the session (the end of its restoring, a profile change) leaves it.
 */
let socketAuthorization = bearer();
session.subscribe(() => {
  if (bearer() === socketAuthorization) return;
  socketAuthorization = bearer();
  socket.terminate();
});
