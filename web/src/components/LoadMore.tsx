import { useState } from 'react';
import { ErrorMessage, Loading } from './Status';

/** "Load more …" under a list whose connection has a next page, with its own loading and error state. */
export function LoadMore({ what, hasMore, load }: { what: string; hasMore: boolean; load: () => Promise<unknown> }) {
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!hasMore) return null;
  const click = async () => {
    setLoading(true);
    setError(null);
    try {
      await load();
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
