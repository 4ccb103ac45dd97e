import { useState } from 'react';
import type { Connection } from '../pagination';
import { ErrorMessage, Loading } from './Status';

/**
 * "Load more …" under a list while its connection has a next page: `load` fetches the page after
 * `pageInfo.endCursor`. It has its own loading and error state.
 */
export function LoadMore({ what, pageInfo, load }: { what: string; pageInfo: Connection['pageInfo'] | undefined; load: (after: string | null | undefined) => Promise<unknown> }) {
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!pageInfo?.hasNextPage) return null;
  const click = async () => {
    setLoading(true);
    setError(null);
    try {
      await load(pageInfo.endCursor);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };
  return (
    <div className="load-more">
      <button type="button" onClick={click} disabled={loading}>
        Load more {what}
      </button>
      {loading && <Loading what={`more ${what}`} />}
      <ErrorMessage error={error} />
    </div>
  );
}
