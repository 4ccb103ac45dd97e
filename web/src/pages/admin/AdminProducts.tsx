import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import {
  CreateProductDocument,
  ProductsDocument,
  SetProductImageDocument,
  UpdateProductDocument,
  type ProductCardFragment,
  type UpdateProductInput,
} from '../../__generated__/graphql';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';
import { appendNextPage } from '../../pagination';

/** Every product (inactive too): create, edit, stock, picture. */
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
      <ImagePicker product={product} />
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

/** The store's bound on one image (ProductImageInput: 150 KiB), and the types it takes. */
const MAX_IMAGE_BYTES = 150 * 1024;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
/** A picture file larger than this is not read at all (a phone photo is a few MB). */
const MAX_PICKED_BYTES = 20 * 1024 * 1024;
/** Longest side of a picture scaled down in the browser: sharp on the product page, small to send. */
const MAX_SIDE = 1200;

const asBase64 = (blob: Blob) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(new Error('The file could not be read; choose it again.'));
    reader.readAsDataURL(blob);
  });

const encode = (canvas: HTMLCanvasElement, quality: number) =>
  new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/webp', quality));

/**
 * The picked file as the store takes it. A JPEG, PNG or WebP already small enough is sent as it is
 * (the store checks its bytes, whatever the file is called); anything larger is drawn on a canvas,
 * at most MAX_SIDE pixels a side, and encoded as WebP, less finely until it fits.
 */
async function prepareImage(file: File): Promise<{ contentType: string; base64: string }> {
  if (file.size > MAX_PICKED_BYTES) throw new Error('The file is over 20 MB; choose a smaller picture.');
  if (IMAGE_TYPES.includes(file.type) && file.size <= MAX_IMAGE_BYTES) return { contentType: file.type, base64: await asBase64(file) };
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('That file is not a picture the browser can read; choose a JPEG, PNG or WebP image.');
  }
  let scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  for (let attempt = 0; attempt < 6; attempt++, scale *= 0.75) {
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await encode(canvas, 0.82);
    if (blob && blob.size <= MAX_IMAGE_BYTES) return { contentType: 'image/webp', base64: await asBase64(blob) };
  }
  throw new Error('The picture stays over 150 KiB even scaled down; choose a simpler one.');
}

/** The product's picture: shown, replaced by a picked file, or removed. */
function ImagePicker({ product }: { product: ProductCardFragment }) {
  const [setImage, { loading, error }] = useMutation(SetProductImageDocument);
  const [problem, setProblem] = useState<string | null>(null);
  const [preparing, setPreparing] = useState(false);
  const pick = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setProblem(null);
    setPreparing(true);
    try {
      const image = await prepareImage(file);
      await setImage({ variables: { productId: product.id, image } }).catch(() => undefined);
    } catch (failure) {
      setProblem((failure as Error).message);
    } finally {
      setPreparing(false);
    }
  };
  return (
    <div className="image-picker">
      {product.imageUrl ? <img src={product.imageUrl} alt={product.name} className="product-image thumb" /> : <span className="hint">No picture</span>}
      <label>
        {product.imageUrl ? 'Replace picture' : 'Add picture'}
        <span className="visually-hidden"> of {product.name}</span>
        <input type="file" accept={IMAGE_TYPES.join(',')} disabled={loading || preparing} onChange={(e) => void pick(e.target)} />
      </label>
      {product.imageUrl && (
        <button type="button" disabled={loading || preparing} onClick={() => void setImage({ variables: { productId: product.id, image: null } }).catch(() => undefined)}>
          Remove picture<span className="visually-hidden"> of {product.name}</span>
        </button>
      )}
      {preparing && <span role="status">Preparing the picture…</span>}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}
