import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RouterContext } from '../context';

/** The path the browser's refresh cookie is scoped to: the same GraphQL pipeline as /graphql, under its own name. */
export const SESSION_PATH = '/graphql/session';

/** A browser client's opt-in: keep my refresh token in the router's cookie, not in answers my scripts read. */
export const SESSION_OPT_IN_HEADER = 'x-dorandoran-session';
export const SESSION_OPT_IN_VALUE = 'cookie';

/** The refresh token's cookie; httpOnly, SameSite=Strict, sent on SESSION_PATH only. */
export const SESSION_COOKIE = 'dd_refresh';

/** What the router knows and decides about a browser session during one request. */
export interface BrowserSession {
  /** The cookie's refresh token, read on SESSION_PATH only. */
  refreshToken?: string;
  /** Served over https (directly, or as the trusted proxy says): the cookie is then Secure. */
  secure: boolean;
  /** Set from auth's answer (subgraphDataSource.ts): what to do with the cookie in this response. */
  cookie?: { issued: string; maxAgeSeconds: number } | 'clear';
}

/**
 * The browser session of a request that opted in, else null (API clients keep tokens in bodies).
 * X-Forwarded-Proto is believed only behind trusted proxies, as X-Forwarded-For is (clientAddress.ts).
 */
export function browserSessionOf(req: IncomingMessage, trustProxyHops: number): BrowserSession | null {
  if (req.headers[SESSION_OPT_IN_HEADER] !== SESSION_OPT_IN_VALUE) return null;
  const onSessionPath = new URL(req.url ?? '/', 'http://localhost').pathname === SESSION_PATH;
  const refreshToken = onSessionPath ? cookieValue(req.headers.cookie, SESSION_COOKIE) : undefined;
  return { refreshToken, secure: servedOverHttps(req, trustProxyHops) };
}

function servedOverHttps(req: IncomingMessage, trustProxyHops: number): boolean {
  if ('encrypted' in req.socket && req.socket.encrypted) return true;
  if (trustProxyHops === 0) return false;
  const protos = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  // The entry written by the outermost trusted proxy, the one the browser spoke to.
  return protos[Math.max(0, protos.length - trustProxyHops)] === 'https';
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim() || undefined;
  }
  return undefined;
}

/** The Set-Cookie for the decision auth's answer led to. */
export function setCookieHeader(session: BrowserSession): string | undefined {
  const { cookie } = session;
  if (!cookie) return undefined;
  const attributes = [`Path=${SESSION_PATH}`, 'HttpOnly', 'SameSite=Strict', ...(session.secure ? ['Secure'] : [])];
  if (cookie === 'clear') return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attributes].join('; ');
  return [`${SESSION_COOKIE}=${cookie.issued}`, `Max-Age=${cookie.maxAgeSeconds}`, ...attributes].join('; ');
}

/** Puts the cookie auth's answer asked for on the router's response (and keeps the answer out of shared caches). */
export function sessionCookiePlugin(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const header = contextValue.browserSession && setCookieHeader(contextValue.browserSession);
          if (!header) return;
          response.http.headers.set('set-cookie', header);
          response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}
