import { print } from 'graphql';
import { RefreshSessionDocument, type SessionFragment } from './__generated__/graphql';
import { persistedBody } from './persisted';

/** What a signed-in browser keeps (localStorage, so a reload keeps the session). */
export interface Session {
  accessToken: string;
  refreshToken: string;
  user: SessionFragment['user'];
}

const STORAGE_KEY = 'dorandoran.session';
const listeners = new Set<() => void>();
let current: Session | null = read();

function read(): Session | null {
  try {
    const text = localStorage.getItem(STORAGE_KEY);
    return text ? (JSON.parse(text) as Session) : null;
  } catch {
    return null;
  }
}

export const session = {
  get: () => current,
  set(next: Session | null) {
    current = next;
    if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    else localStorage.removeItem(STORAGE_KEY);
    for (const listener of listeners) listener();
  },
  /** Keeps a session the graph answered (signUp, logIn, refreshSession). */
  keep(payload: SessionFragment) {
    session.set({ accessToken: payload.accessToken, refreshToken: payload.refreshToken, user: payload.user });
  },
  /** Keeps the signed-in user's profile fields current (after updateProfile). */
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
 * Trades the refresh token for a new pair, once for however many requests found the access token
 * expired: a second refresh with the same token would count as reuse and end the session. False
 * (and signed out) when the session is over.
 */
function refresh(): Promise<boolean> {
  refreshing ??= refreshOnce().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function refreshOnce(): Promise<boolean> {
  const refreshToken = current?.refreshToken;
  if (!refreshToken) return false;
  try {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        operationName: 'RefreshSession',
        query: persistedBody(RefreshSessionDocument) ?? print(RefreshSessionDocument),
        variables: { refreshToken },
      }),
    });
    const body = (await response.json()) as { data?: { refreshSession?: SessionFragment } };
    const renewed = body.data?.refreshSession;
    if (!renewed) {
      session.set(null);
      return false;
    }
    session.keep(renewed);
    return true;
  } catch {
    // The network failed, not the session: keep it, the next request tries again.
    return false;
  }
}
