import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ProductDocument } from '../../__generated__/graphql';
import { cart, MAX_QUANTITY, quantityProblem, useCart } from '../../cart';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';
import { ProductImage, stockText, useLiveProducts } from './liveProducts';

/** One product: its picture, description and price, its stock live, and how many to put in the cart. */
export function ProductPage() {
  const { productId } = useParams();
  const product = useQuery(ProductDocument, { variables: { id: productId! }, fetchPolicy: 'cache-and-network' });
  useLiveProducts(productId ? [productId] : [], () => void product.refetch());
  const lines = useCart();
  const [quantity, setQuantity] = useState('1');
  const [added, setAdded] = useState<number | null>(null);
  const current = product.data?.product;

  if (product.loading && !product.data) return <Loading what="the product" />;
  if (product.error) return <ErrorMessage error={product.error} />;
  if (!current || !current.active) {
    return (
      <p className="error" role="alert">
        This product is not for sale. <Link to="/store">Back to the store</Link>
      </p>
    );
  }
  const inCart = lines.find((line) => line.productId === current.id)?.quantity ?? 0;
  // What may still go into the cart: the stock on hand less what is already there.
  const available = Math.max(0, Math.min(current.stock, MAX_QUANTITY) - inCart);
  const problem = available === 0 ? null : quantityProblem(quantity, available);
  const add = () => {
    const amount = Number(quantity);
    cart.add({ productId: current.id, name: current.name, unitPrice: current.price }, amount);
    setAdded(amount);
    setQuantity('1');
  };

  return (
    <article className="card product-page" aria-label={current.name}>
      <ProductImage product={current} size="large" />
      <div className="product-facts">
        <p className="crumbs">
          <Link to="/store">Store</Link>
          {current.category && ` › ${current.category}`}
        </p>
        <h1>{current.name}</h1>
        <p className="price">{formatMoney(current.price)}</p>
        <p className={current.stock > 0 ? 'stock' : 'stock sold-out'} aria-label="Stock">
          {stockText(current.stock)}
        </p>
        {current.description && <p className="description">{current.description}</p>}
        {current.stock > 0 && available === 0 && <p className="hint">All {inCart} in stock are in your cart.</p>}
        {available > 0 && (
          <form
            className="add-to-cart"
            onSubmit={(event) => {
              event.preventDefault();
              if (!problem) add();
            }}
          >
            <label>
              Quantity
              <input inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} aria-invalid={Boolean(problem)} maxLength={3} />
            </label>
            <button type="submit" disabled={Boolean(problem)}>
              Add to cart
            </button>
            {problem && (
              <p className="error" role="alert">
                {problem}
              </p>
            )}
          </form>
        )}
        {added !== null && (
          <p className="notice" role="status">
            Added {added} to your cart. <Link to="/cart">Go to the cart</Link>
          </p>
        )}
      </div>
    </article>
  );
}
