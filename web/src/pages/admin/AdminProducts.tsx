import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { CreateProductDocument, ProductsDocument, UpdateProductDocument, type ProductCardFragment, type UpdateProductInput } from '../../__generated__/graphql';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';
import { appendNextPage } from '../../pagination';

/** Every product (inactive too): create, edit, stock. */
export function AdminProducts() {
  const products = useQuery(ProductsDocument, { variables: { first: 100, includeInactive: true }, fetchPolicy: 'cache-and-network' });
  const list = products.data?.products?.edges.map((edge) => edge.node) ?? [];
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
      <LoadMore
        what="products"
        pageInfo={products.data?.products?.pageInfo}
        load={(after) => products.fetchMore({ variables: { after }, updateQuery: appendNextPage('products') })}
      />
    </section>
  );
}

function ProductForm({ onSaved }: { onSaved: () => void }) {
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [stock, setStock] = useState('');
  const [category, setCategory] = useState('');
  const [description, setDescription] = useState('');
  const [create, { loading, error }] = useMutation(CreateProductDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await create({
      variables: { input: { name, price: Number(price), stock: Number(stock), category: category.trim() || null, description: description.trim() || null } },
    }).catch(() => ({ data: undefined }));
    if (data) {
      setName('');
      setPrice('');
      setStock('');
      setCategory('');
      setDescription('');
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
      <label>
        Description
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={2} />
      </label>
      <ErrorMessage error={error} />
      <button type="submit" disabled={loading}>
        Create product
      </button>
    </form>
  );
}

type EditableField = 'name' | 'description' | 'category' | 'price' | 'stock';

/** The product's current value of a field, as its input shows it. */
function shownValue(product: ProductCardFragment, field: EditableField): string {
  if (field === 'price') return String(product.price.amount);
  if (field === 'stock') return String(product.stock);
  return product[field] ?? '';
}

/**
 * One product, edited in place. Only the fields the administrator changed are sent: the others show
 * the store's current values, so saving a new price never writes back a stock count that orders
 * have lowered since the page loaded.
 */
function ProductRow({ product }: { product: ProductCardFragment }) {
  const [edits, setEdits] = useState<Partial<Record<EditableField, string>>>({});
  const [update, { loading, error }] = useMutation(UpdateProductDocument);
  const field = (name: EditableField) => ({
    value: edits[name] ?? shownValue(product, name),
    onChange: (e: { target: { value: string } }) => setEdits((current) => ({ ...current, [name]: e.target.value })),
  });
  const save = async (input: UpdateProductInput) => {
    const { data } = await update({ variables: { id: product.id, input } }).catch(() => ({ data: undefined }));
    return Boolean(data);
  };
  const saveEdits = async (event: FormEvent) => {
    event.preventDefault();
    const { price, stock, ...texts } = edits;
    const input = { ...texts, ...(price !== undefined && { price: Number(price) }), ...(stock !== undefined && { stock: Number(stock) }) };
    if (await save(input)) setEdits({});
  };
  return (
    <form className="card product-row" onSubmit={saveEdits} aria-label={product.name}>
      <h3>
        {product.name} <span className="price">{formatMoney(product.price)}</span> {product.active ? '' : '(inactive)'}
      </h3>
      <label>
        Name
        <span className="visually-hidden"> of {product.name}</span>
        <input {...field('name')} required />
      </label>
      <label>
        Category
        <span className="visually-hidden"> of {product.name}</span>
        <input {...field('category')} />
      </label>
      <label>
        Price
        <span className="visually-hidden"> of {product.name}</span>
        <input type="number" min={1} {...field('price')} />
      </label>
      <label>
        Stock
        <span className="visually-hidden"> of {product.name}</span>
        <input type="number" min={0} {...field('stock')} />
      </label>
      <label className="wide">
        Description
        <span className="visually-hidden"> of {product.name}</span>
        <textarea rows={2} {...field('description')} />
      </label>
      <button type="submit" disabled={loading || Object.keys(edits).length === 0}>
        Save {product.name}
      </button>
      <button type="button" disabled={loading} onClick={() => void save({ active: !product.active })}>
        {product.active ? 'Deactivate' : 'Activate'} {product.name}
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
