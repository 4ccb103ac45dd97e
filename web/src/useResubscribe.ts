import { useEffect, useRef } from 'react';
import { catchUpNowAndLater } from './useCatchUp';

/** How long a feed that ended with an error waits before subscribing again. */
export const RESUBSCRIBE_AFTER_MS = 5000;

/**
 * A live feed that ended with an error (the router says its subgraph stayed unavailable through its
 * retries) is not left dead: after a pause it subscribes again and `catchUp`, when given, fetches what
 * it missed, at once and again as the new subscription becomes live upstream. A feed that starts with
 * the state it follows (an order's) needs no catch-up.
 */
export function useResubscribe(feed: { error?: unknown; restart: () => void }, catchUp?: () => void): void {
  const latest = useRef(catchUp);
  useEffect(() => {
    latest.current = catchUp;
  });
  // Outlives the error it answers: restarting clears the error, which must not cancel this catch-up.
  const cancelLater = useRef(() => {});
  useEffect(() => () => cancelLater.current(), []);
  const { error, restart } = feed;
  useEffect(() => {
    if (!error) return;
    const timer = setTimeout(() => {
      restart();
      cancelLater.current();
      if (latest.current) cancelLater.current = catchUpNowAndLater(() => latest.current?.());
    }, RESUBSCRIBE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [error, restart]);
}
