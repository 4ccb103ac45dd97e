/**
 * How the router and auth hand a browser's refresh token between them, so that it travels to
 * and from the browser only in the router's httpOnly cookie and never in a body a script reads
 * (docs/ARCHITECTURE.md, Identity). Auth believes these request headers only on requests that
 * carry the router secret; the router builds every subgraph request anew, so a client's own
 * copy of them never reaches auth, and auth's answers in them never reach the client.
 */
export const BROWSER_SESSION_HEADERS = {
  /** router → auth: this caller keeps its refresh token in the router's cookie. */
  optIn: 'x-router-browser-session',
  /** router → auth: the refresh token from that cookie (the session path's requests only). */
  refreshToken: 'x-router-refresh-token',
  /** auth → router: the refresh token just issued, for the cookie instead of the payload. */
  issued: 'x-router-issued-refresh-token',
  /** auth → router: how long that token lives, in seconds (the cookie's Max-Age). */
  issuedMaxAge: 'x-router-issued-refresh-token-max-age',
  /** auth → router: the session is over (logged out, or its refresh refused): clear the cookie. */
  clear: 'x-router-clear-refresh-token',
} as const;
