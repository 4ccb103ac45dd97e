import { print } from 'graphql';
import { RefreshSessionDocument, type SessionFragment } from './__generated__/graphql';
import { persistedBody } from './persisted';

/**
 * What a signed-in browser holds, in memory only: the access token and who it is for. The
 * refresh token is the router's httpOnly cookie, which no script can read, so a script that gets
 * onto the page cannot carry the session away; a reload restores the session through that cookie.
 */
export interface Session {
  accessToken: string;
  user: SessionFragment['user'];
}

/** Sent with every HTTP operation: the router keeps this browser's refresh token in its cookie, not in answers. */
export const SESSION_HEADERS = { 'x-dorandoran-session': 'cookie' } as const;

/** The router's path that its refresh cookie is sent to (and only to). */
const SESSION_PATH = '/graphql/session';

/** Where an older version of the app kept the whole session, tokens included: nothing may stay there. */
const OLD_STORAGE_KEY = 'dorandoran.session';
try {
  localStorage.removeItem(OLD_STORAGE_KEY);
} catch {
  // Storage turned off: nothing was kept there either.
}

const listeners = new Set<() => void>();
let current: Session | null = null;
/** True until the first refresh through the cookie has answered: the app does not know yet whether anyone is signed in. */
let restoring = true;

function notify() {
  for (const listener of listeners) listener();
}

export const session = {
  get: () => current,
  isRestoring: () => restoring,
  set(next: Session | null) {
    current = next;
    notify();
  },
  /** Keeps a session the graph answered (signUp, logIn, refreshSession). */
  keep(payload: SessionFragment) {
    session.set({ accessToken: payload.accessToken, user: payload.user });
  },
  /** Keeps the signed-in user's profile fields current (after `me` or updateProfile). */
  updateUser(user: Session['user']) {
    if (current) session.set({ ...current, user });
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  refresh,
};

let refreshing: Promise<boolean> | null = null;

/**
 * Trades the cookie's refresh token for a new access token (and a new cookie), once for however
 * many requests found the access token expired. False (and signed out) when the session is over.
 */
function refresh(): Promise<boolean> {
  refreshing ??= refreshAcrossTabs().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/**
 * Every tab of the app shares the one cookie: two refreshes sent at once would present the same
 * token twice, which auth answers only as a lost answer's retry (within its reuse grace, before
 * either new token is used). A lock held across tabs sends them one after the other, the second
 * with the cookie the first set.
 */
async function refreshAcrossTabs(): Promise<boolean> {
  if (!('locks' in navigator)) return refreshOnce();
  return await navigator.locks.request('dorandoran-session-refresh', refreshOnce);
}

async function refreshOnce(): Promise<boolean> {
  try {
    const response = await fetch(SESSION_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...SESSION_HEADERS },
      body: JSON.stringify({ operationName: 'RefreshSession', query: persistedBody(RefreshSessionDocument) ?? print(RefreshSessionDocument) }),
    });
    const body = (await response.json()) as { data?: { refreshSession?: SessionFragment } };
    const renewed = body.data?.refreshSession;
    if (renewed) session.keep(renewed);
    else session.set(null);
    return Boolean(renewed);
  } catch {
    // The network failed, not the session: keep what there is, the next request tries again.
    return false;
  } finally {
    if (restoring) {
      restoring = false;
      notify();
    }
  }
}

/** A reload or a new tab: the cookie, if there is one, brings the session back. */
void refresh();
