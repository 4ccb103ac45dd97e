import { useEffect, useRef } from 'react';
import { onSocketReconnected } from './apollo';

/**
 * When to fetch again after the socket is back, besides at once: each subscription is sent again on
 * reconnection, but the router still has to open it upstream, and an event published before that
 * reaches neither the feed nor a catch-up that ran at once. The chat and stock feeds send changes
 * only, so nothing tells the page when that is done; it usually takes well under 3 s, and a busy
 * server has been seen to take longer, so the page looks once more later. (An order's feed starts
 * with the order as it is, which tells the order page exactly that: it needs no catch-up.)
 */
export const CATCH_UP_AGAIN_AFTER_MS = [3000, 10_000];

/** Runs `catchUp` now and again at each of CATCH_UP_AGAIN_AFTER_MS; answers what cancels the later runs. */
export function catchUpNowAndLater(catchUp: () => void): () => void {
  catchUp();
  const later = CATCH_UP_AGAIN_AFTER_MS.map((delay) => setTimeout(catchUp, delay));
  return () => later.forEach(clearTimeout);
}

/**
 * Runs `catchUp` whenever the subscriptions' socket comes back after losing its connection (a
 * network drop, a router restart, a token renewal): events sent meanwhile reached nobody, so a page
 * that follows something live fetches what it missed, at once and again as its subscriptions
 * become live upstream.
 */
export function useCatchUpOnReconnect(catchUp: () => void): void {
  const latest = useRef(catchUp);
  useEffect(() => {
    latest.current = catchUp;
  });
  useEffect(() => {
    let cancelLater = () => {};
    const stop = onSocketReconnected(() => {
      cancelLater();
      cancelLater = catchUpNowAndLater(() => latest.current());
    });
    return () => {
      stop();
      cancelLater();
    };
  }, []);
}
