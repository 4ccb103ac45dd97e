import type { ApolloServerPlugin } from '@apollo/server';
import { BROWSER_SESSION_HEADERS, type RequestIdentity } from '@dorandoran/service-kit';
import type { Context } from './context';
import type { TokenPair } from './sessions';

/**
 * A browser whose refresh token the router keeps in its httpOnly cookie: auth takes the token
 * from the router's header and gives the new one back in a header, never in the payload, where
 * any script on the page could read it.
 */
export interface BrowserSession {
  /** The cookie's token, which the router passes on its session path only. */
  refreshToken?: string;
  /** What the router is to do with its cookie once this request is answered. */
  cookie?: { issued: string; maxAgeSeconds: number } | 'clear';
}

/** The router's say-so, believed only with its secret (every GraphQL request to auth has it). */
export function browserSessionOf(identity: RequestIdentity): BrowserSession | null {
  const headers = identity.headers;
  if (!identity.trusted || headers?.[BROWSER_SESSION_HEADERS.optIn] !== '1') return null;
  const token = headers[BROWSER_SESSION_HEADERS.refreshToken];
  return typeof token === 'string' && token !== '' ? { refreshToken: token } : {};
}

/** What the caller gets for a new token pair: in a browser session the refresh token goes to the cookie instead. */
export function handOver(context: Context, payload: TokenPair & { refreshToken: string }): TokenPair {
  const browser = context.browserSession;
  if (!browser) return payload;
  browser.cookie = { issued: payload.refreshToken, maxAgeSeconds: context.auth.refreshTokenTtlSeconds };
  return { ...payload, refreshToken: null };
}

/** Tells the router, in response headers only it reads, what to do with the browser's cookie. */
export function sessionCookiePlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const cookie = contextValue.browserSession?.cookie;
          if (!cookie) return;
          if (cookie === 'clear') {
            response.http.headers.set(BROWSER_SESSION_HEADERS.clear, '1');
            return;
          }
          response.http.headers.set(BROWSER_SESSION_HEADERS.issued, cookie.issued);
          response.http.headers.set(BROWSER_SESSION_HEADERS.issuedMaxAge, String(cookie.maxAgeSeconds));
        },
      };
    },
  };
}
