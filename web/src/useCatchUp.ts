import { useEffect, useRef } from 'react';
import { onSocketReconnected } from './apollo';

/**
 * How long after the socket is back the subscriptions it resent are surely live: each is sent again
 * on reconnection, but the router still has to open it upstream, and an event published before that
 * reaches neither the feed nor a catch-up that ran at once.
 */
export const SUBSCRIPTIONS_LIVE_AFTER_MS = 3000;

/**
 * Runs `catchUp` whenever the subscriptions' socket comes back after losing its connection (a
 * network drop, a router restart, a token renewal): events sent meanwhile reached nobody, so a page
 * that follows something live fetches what it missed, at once and again once its subscriptions are
 * live upstream.
 */
export function useCatchUpOnReconnect(catchUp: () => void): void {
  const latest = useRef(catchUp);
  useEffect(() => {
    latest.current = catchUp;
  });
  useEffect(() => {
    let settled: ReturnType<typeof setTimeout> | undefined;
    const stop = onSocketReconnected(() => {
      latest.current();
      clearTimeout(settled);
      settled = setTimeout(() => latest.current(), SUBSCRIPTIONS_LIVE_AFTER_MS);
    });
    return () => {
      stop();
      clearTimeout(settled);
    };
  }, []);
}
