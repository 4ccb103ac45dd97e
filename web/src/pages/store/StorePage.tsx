import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link } from 'react-router';
import { ProductsDocument } from '../../__generated__/graphql';
import { cart, useCart } from '../../cart';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';
import { appendNextPage } from '../../pagination';
import { ProductImage, stockText, useLiveProducts } from './liveProducts';

/** Active products, newest first, with search and category; stock shown live; adds to the cart. */
export function StorePage() {
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const products = useQuery(ProductsDocument, {
    variables: { first: 40, search: search.trim() || null, category: category.trim() || null },
    fetchPolicy: 'cache-and-network',
  });
  const lines = useCart();
  const list = products.data?.products?.edges.map((edge) => edge.node) ?? [];
  useLiveProducts(
    list.map((product) => product.id),
    () => void products.refetch(),
  );

  return (
    <div className="store">
      <div className="filters">
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Name or description" maxLength={100} />
        </label>
        <label>
          Category
          <input value={category} onChange={(e) => setCategory(e.target.value)} maxLength={50} />
        </label>
      </div>
      {products.loading && !products.data && <Loading what="products" />}
      <ErrorMessage error={products.error} />
      {products.data?.products && list.length === 0 && <p className="hint">No products match.</p>}
      <ul className="products" aria-label="Products">
        {list.map((product) => {
          const inCart = lines.find((line) => line.productId === product.id)?.quantity ?? 0;
          const canAdd = product.stock > inCart;
          return (
            <li key={product.id} className="card product" aria-label={product.name}>
              <Link to={`/products/${product.id}`} className="product-link">
                <ProductImage product={product} size="thumb" />
                <h3>{product.name}</h3>
              </Link>
              {product.category && <span className="category">{product.category}</span>}
              <strong>{formatMoney(product.price)}</strong>
              <span className={product.stock > 0 ? 'stock' : 'stock sold-out'} aria-label={`Stock of ${product.name}`}>
                {stockText(product.stock)}
              </span>
              <button
                type="button"
                disabled={!canAdd}
                onClick={() => cart.add({ productId: product.id, name: product.name, unitPrice: product.price })}
                aria-label={`Add ${product.name} to cart`}
              >
                {product.stock === 0 ? 'Sold out' : canAdd ? 'Add to cart' : 'All in your cart'}
              </button>
            </li>
          );
        })}
      </ul>
      <LoadMore
        what="products"
        pageInfo={products.data?.products?.pageInfo}
        load={(after) => products.fetchMore({ variables: { after }, updateQuery: appendNextPage('products') })}
      />
    </div>
  );
}
