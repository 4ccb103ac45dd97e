import { useSubscription } from '@apollo/client/react';
import { ProductChangedDocument } from '../../__generated__/graphql';
import { useCatchUpOnReconnect } from '../../useCatchUp';
import { useResubscribe } from '../../useResubscribe';

/** The store follows at most this many products per subscription. */
const MAX_FOLLOWED = 100;

/**
 * Keeps the shown products' stock (sold out), price and image current while the page is open: each
 * event is a whole product, which Apollo's cache puts in place by its id. After the socket comes
 * back, or the feed subscribes again after the store was down longer than the router's retries,
 * `catchUp` fetches what changed meanwhile.
 */
export function useLiveProducts(ids: readonly string[], catchUp: () => void): void {
  const followed = [...new Set(ids)].sort().slice(0, MAX_FOLLOWED);
  const feed = useSubscription(ProductChangedDocument, { variables: { ids: followed }, skip: followed.length === 0 });
  useCatchUpOnReconnect(catchUp);
  useResubscribe(feed, catchUp);
}

/** A product's picture, or its initial on a tile when it has none. */
export function ProductImage({ product, size }: { product: { name: string; imageUrl?: string | null }; size: 'thumb' | 'large' }) {
  if (product.imageUrl) return <img className={`product-image ${size}`} src={product.imageUrl} alt={product.name} loading="lazy" />;
  return (
    <div className={`product-image ${size} placeholder`} aria-hidden="true">
      {[...product.name][0]?.toUpperCase()}
    </div>
  );
}

/** Stock as a buyer reads it. */
export const stockText = (stock: number) => (stock > 0 ? `${stock} in stock` : 'Sold out');
