import { useEffect, useRef } from 'react';
import { onSocketReconnected } from './apollo';

/**
 * Runs `catchUp` whenever the subscriptions' socket comes back after losing its connection (a
 * network drop, a router restart, a token renewal): events sent meanwhile reached nobody, so a page
 * that follows something live fetches what it missed.
 */
export function useCatchUpOnReconnect(catchUp: () => void): void {
  const latest = useRef(catchUp);
  useEffect(() => {
    latest.current = catchUp;
  });
  useEffect(() => onSocketReconnected(() => latest.current()), []);
}
