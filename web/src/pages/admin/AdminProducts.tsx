import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { CreateProductDocument, ProductsDocument, UpdateProductDocument, type ProductCardFragment } from '../../__generated__/graphql';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';

/** Every product (inactive too): create, edit, stock. */
export function AdminProducts() {
  const products = useQuery(ProductsDocument, { variables: { first: 100, includeInactive: true }, fetchPolicy: 'cache-and-network' });
  const list = products.data?.products.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-label="Products">
      <ProductForm onSaved={() => void products.refetch()} />
      {products.loading && !products.data && <Loading what="products" />}
      <ErrorMessage error={products.error} />
      <ul className="admin-products">
        {list.map((product) => (
          <li key={product.id}>
            <ProductRow product={product} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function ProductForm({ onSaved }: { onSaved: () => void }) {
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [stock, setStock] = useState('');
  const [category, setCategory] = useState('');
  const [create, { loading, error }] = useMutation(CreateProductDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await create({
      variables: { input: { name, price: Number(price), stock: Number(stock), category: category.trim() || null } },
    }).catch(() => ({ data: undefined }));
    if (data) {
      setName('');
      setPrice('');
      setStock('');
      setCategory('');
      onSaved();
    }
  };
  return (
    <form className="card new-product" onSubmit={submit}>
      <h2>New product</h2>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label>
        Price (KRW)
        <input type="number" min={1} value={price} onChange={(e) => setPrice(e.target.value)} required />
      </label>
      <label>
        Stock
        <input type="number" min={0} value={stock} onChange={(e) => setStock(e.target.value)} required />
      </label>
      <label>
        Category
        <input value={category} onChange={(e) => setCategory(e.target.value)} />
      </label>
      <ErrorMessage error={error} />
      <button type="submit" disabled={loading}>
        Create product
      </button>
    </form>
  );
}

function ProductRow({ product }: { product: ProductCardFragment }) {
  const [stock, setStock] = useState(String(product.stock));
  const [price, setPrice] = useState(String(product.price.amount));
  const [update, { loading, error }] = useMutation(UpdateProductDocument);
  const save = (input: { stock?: number; price?: number; active?: boolean }) => void update({ variables: { id: product.id, input } }).catch(() => undefined);
  return (
    <div className="card product-row">
      <strong>{product.name}</strong> {formatMoney(product.price)} {product.active ? '' : '(inactive)'}
      <label>
        Stock of {product.name}
        <input type="number" min={0} value={stock} onChange={(e) => setStock(e.target.value)} />
      </label>
      <label>
        Price of {product.name}
        <input type="number" min={1} value={price} onChange={(e) => setPrice(e.target.value)} />
      </label>
      <button type="button" disabled={loading} onClick={() => save({ stock: Number(stock), price: Number(price) })}>
        Save {product.name}
      </button>
      <button type="button" disabled={loading} onClick={() => save({ active: !product.active })}>
        {product.active ? 'Deactivate' : 'Activate'} {product.name}
      </button>
      <ErrorMessage error={error} />
    </div>
  );
}
