import { useEffect, useRef } from 'react';
import { SUBSCRIPTIONS_LIVE_AFTER_MS } from '../../useCatchUp';

/** How long a feed that ended with an error waits before subscribing again. */
export const RESUBSCRIBE_AFTER_MS = 5000;

/**
 * A live feed that ended with an error (the router says chat stayed unavailable through its
 * retries) is not left dead: after a pause it subscribes again and `catchUp` fetches what it missed,
 * at once and again once the new subscription is live upstream.
 */
export function useResubscribe(feed: { error?: unknown; restart: () => void }, catchUp: () => void): void {
  const latest = useRef(catchUp);
  useEffect(() => {
    latest.current = catchUp;
  });
  // Outlives the error it answers: restarting clears the error, which must not cancel this catch-up.
  const settled = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(settled.current), []);
  const { error, restart } = feed;
  useEffect(() => {
    if (!error) return;
    const timer = setTimeout(() => {
      restart();
      latest.current();
      clearTimeout(settled.current);
      settled.current = setTimeout(() => latest.current(), SUBSCRIPTIONS_LIVE_AFTER_MS);
    }, RESUBSCRIBE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [error, restart]);
}
