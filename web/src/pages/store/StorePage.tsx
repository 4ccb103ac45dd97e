import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link } from 'react-router';
import { ProductsDocument } from '../../__generated__/graphql';
import { cart, useCart } from '../../cart';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';
import { appendNextPage } from '../../pagination';

/** Active products, newest first, with search and category; adds to the cart. */
export function StorePage() {
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const products = useQuery(ProductsDocument, {
    variables: { first: 40, search: search.trim() || null, category: category.trim() || null },
    fetchPolicy: 'cache-and-network',
  });
  const lines = useCart();
  const inCart = lines.reduce((sum, line) => sum + line.quantity, 0);
  const list = products.data?.products?.edges.map((edge) => edge.node) ?? [];

  return (
    <div className="store">
      <div className="filters">
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Name or description" />
        </label>
        <label>
          Category
          <input value={category} onChange={(e) => setCategory(e.target.value)} />
        </label>
        <Link to="/cart" className="cart-link">
          Cart ({inCart})
        </Link>
      </div>
      {products.loading && !products.data && <Loading what="products" />}
      <ErrorMessage error={products.error} />
      {products.data?.products && list.length === 0 && <p className="hint">No products match.</p>}
      <ul className="products" aria-label="Products">
        {list.map((product) => (
          <li key={product.id} className="card product">
            <h3>{product.name}</h3>
            {product.category && <span className="category">{product.category}</span>}
            {product.description && <p>{product.description}</p>}
            <strong>{formatMoney(product.price)}</strong>
            <span className="stock">{product.stock > 0 ? `${product.stock} in stock` : 'Sold out'}</span>
            <button
              type="button"
              disabled={product.stock === 0}
              onClick={() => cart.add({ productId: product.id, name: product.name, unitPrice: product.price })}
              aria-label={`Add ${product.name} to cart`}
            >
              Add to cart
            </button>
          </li>
        ))}
      </ul>
      <LoadMore
        what="products"
        pageInfo={products.data?.products?.pageInfo}
        load={(after) => products.fetchMore({ variables: { after }, updateQuery: appendNextPage('products') })}
      />
    </div>
  );
}
