import { useEffect, useState } from 'react';
import { useConnection } from '../../connection';

/** How long the socket may be down before the banner shows: a token renewal reconnects faster than this. */
const GRACE_MS = 600;

/** Says so while the live connection is down; graphql-ws keeps retrying, and the page catches up when it is back. */
export function ConnectionBanner() {
  const state = useConnection();
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (state !== 'lost') {
      setShown(false);
      return;
    }
    const timer = setTimeout(() => setShown(true), GRACE_MS);
    return () => clearTimeout(timer);
  }, [state]);
  if (!shown) return null;
  return (
    <p className="connection-banner" role="status">
      Connection lost. Reconnecting… New messages will show once it is back.
    </p>
  );
}
