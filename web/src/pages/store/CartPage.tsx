import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { PlaceOrderDocument, ProductDocument, type ShippingAddressInput } from '../../__generated__/graphql';
import { cart, quantityProblem, useCart, type CartLine } from '../../cart';
import { ErrorMessage } from '../../components/Status';
import { formatMoney } from '../../money';
import { ProductImage, useLiveProducts } from './liveProducts';

/** The store's limits (ShippingAddressInput), so the form stops where the store would refuse. */
const ADDRESS_FIELDS: { name: keyof ShippingAddressInput; label: string; max: number; required: boolean; autoComplete: string; inputMode?: 'tel' | 'numeric' }[] = [
  { name: 'recipient', label: 'Recipient', max: 50, required: true, autoComplete: 'name' },
  { name: 'phone', label: 'Phone', max: 20, required: true, autoComplete: 'tel', inputMode: 'tel' },
  { name: 'postalCode', label: 'Postal code', max: 10, required: true, autoComplete: 'postal-code' },
  { name: 'line1', label: 'Address', max: 100, required: true, autoComplete: 'address-line1' },
  { name: 'line2', label: 'Apartment, floor (optional)', max: 100, required: false, autoComplete: 'address-line2' },
];

const EMPTY_ADDRESS: ShippingAddressInput = { recipient: '', phone: '', postalCode: '', line1: '', line2: '' };

/** What the address lacks, in words; null when it can be sent. */
function addressProblem(address: ShippingAddressInput): string | null {
  const missing = ADDRESS_FIELDS.filter((field) => field.required && !(address[field.name] ?? '').trim()).map((field) => field.label.toLowerCase());
  if (missing.length) return `Fill in the delivery ${missing.join(', ')}.`;
  if (!/^\+?[0-9 ()-]{7,20}$/.test(address.phone.trim())) return 'Enter the phone number with digits, e.g. 010-1234-5678.';
  if (!/^[0-9A-Za-z -]{1,10}$/.test(address.postalCode.trim())) return 'Enter the postal code with letters and digits only, e.g. 04524.';
  return null;
}

/** The cart, the delivery address and placing the order; prices and the total are the server's once it is placed. */
export function CartPage() {
  const lines = useCart();
  const navigate = useNavigate();
  const client = useApolloClient();
  const [place, { loading, error }] = useMutation(PlaceOrderDocument);
  // One key per checkout: a retry after a lost answer returns the same order instead of a second one.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  // What is typed in each quantity box; the cart keeps the last valid number.
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [stock, setStock] = useState<Record<string, number | undefined>>({});
  const [removed, setRemoved] = useState<{ line: CartLine; index: number } | null>(null);
  const [address, setAddress] = useState<ShippingAddressInput>(EMPTY_ADDRESS);
  const [checkProblem, setCheckProblem] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const currency = lines[0]?.unitPrice.currency ?? 'KRW';
  const total = lines.reduce((sum, line) => sum + line.unitPrice.amount * line.quantity, 0);
  const problems = lines.map((line) => ({ line, problem: quantityProblem(typed[line.productId] ?? String(line.quantity), stock[line.productId]) }));
  const lineProblem = problems.find((entry) => entry.problem);
  useLiveProducts(
    lines.map((line) => line.productId),
    () => void client.refetchQueries({ include: [ProductDocument] }),
  );

  // One setter per product for the page's life, so a row's effect runs when its stock changes, not on every render.
  const [stockSetters] = useState(() => new Map<string, (value: number | undefined) => void>());
  const stockSetter = (productId: string) => {
    let setter = stockSetters.get(productId);
    if (!setter) {
      setter = (value) => setStock((current) => (current[productId] === value ? current : { ...current, [productId]: value }));
      stockSetters.set(productId, setter);
    }
    return setter;
  };

  const edit = (line: CartLine, text: string) => {
    setTyped((current) => ({ ...current, [line.productId]: text }));
    setCheckProblem(null);
    // Only a whole number in range reaches the cart; anything else waits, with its message, for a fix.
    if (!quantityProblem(text, stock[line.productId])) cart.setQuantity(line.productId, Number(text));
  };
  const remove = (line: CartLine) => {
    setRemoved(cart.remove(line.productId));
    setTyped(({ [line.productId]: _gone, ...rest }) => rest);
  };

  /** The stock of every line as the store has it now: nothing is ordered that is no longer there. */
  const checkStock = async (): Promise<string | null> => {
    const answers = await Promise.all(lines.map((line) => client.query({ query: ProductDocument, variables: { id: line.productId }, fetchPolicy: 'network-only' })));
    for (const [index, answer] of answers.entries()) {
      const line = lines[index];
      const product = answer.data?.product;
      if (!product || !product.active) return `"${line.name}" is no longer for sale; remove it from your cart.`;
      if (product.stock < line.quantity) {
        return product.stock === 0 ? `"${line.name}" is sold out; remove it from your cart.` : `Only ${product.stock} of "${line.name}" left; lower the quantity to ${product.stock} or fewer.`;
      }
    }
    return null;
  };

  const checkout = async (event: FormEvent) => {
    event.preventDefault();
    const problem = lineProblem?.problem ? `${lineProblem.line.name}: ${lineProblem.problem}` : addressProblem(address);
    if (problem) return setCheckProblem(problem);
    setChecking(true);
    const shortage = await checkStock().catch(() => 'Cannot reach the store to check the stock; check your connection and try again.');
    setChecking(false);
    if (shortage) return setCheckProblem(shortage);
    const shippingAddress = { ...address, line2: address.line2?.trim() || null };
    const { data } = await place({
      variables: { input: { idempotencyKey, items: lines.map((line) => ({ productId: line.productId, quantity: line.quantity })), shippingAddress } },
    }).catch(() => ({ data: undefined }));
    if (data?.placeOrder) {
      cart.clear();
      navigate(`/orders/${data.placeOrder.id}`);
    }
  };

  const undo = removed && (
    <p className="notice" role="status">
      Removed {removed.line.name}.{' '}
      <button
        type="button"
        className="link-button"
        onClick={() => {
          cart.restore(removed);
          setRemoved(null);
        }}
      >
        Undo
      </button>
    </p>
  );

  if (lines.length === 0) {
    return (
      <section className="card cart" aria-label="Cart">
        <h1>Cart</h1>
        {undo}
        <p className="hint">
          Your cart is empty. <Link to="/store">Browse the store</Link>.
        </p>
      </section>
    );
  }
  return (
    <section className="card cart" aria-label="Cart">
      <h1>Cart</h1>
      {undo}
      <form className="checkout" onSubmit={checkout} noValidate>
        <ul>
          {problems.map(({ line, problem }) => (
            <CartRow
              key={line.productId}
              line={line}
              text={typed[line.productId] ?? String(line.quantity)}
              problem={problem}
              onStock={stockSetter(line.productId)}
              onEdit={(text) => edit(line, text)}
              onRemove={() => remove(line)}
            />
          ))}
        </ul>
        <p className="total">
          Total <strong>{formatMoney({ amount: total, currency })}</strong>
        </p>
        <fieldset className="address">
          <legend>Deliver to</legend>
          {ADDRESS_FIELDS.map((field) => (
            <label key={field.name} className={field.name}>
              {field.label}
              <input
                value={address[field.name] ?? ''}
                onChange={(e) => {
                  setAddress((current) => ({ ...current, [field.name]: e.target.value }));
                  setCheckProblem(null);
                }}
                maxLength={field.max}
                required={field.required}
                autoComplete={field.autoComplete}
                inputMode={field.inputMode}
              />
            </label>
          ))}
        </fieldset>
        {checkProblem && (
          <p className="error" role="alert">
            {checkProblem}
          </p>
        )}
        <ErrorMessage error={error} />
        <button type="submit" disabled={loading || checking}>
          {checking ? 'Checking stock…' : 'Place order'}
        </button>
      </form>
    </section>
  );
}

/** One line: the product's current stock comes from the store (and live), the quantity is checked against it as it is typed. */
function CartRow(props: { line: CartLine; text: string; problem: string | null; onStock(stock: number | undefined): void; onEdit(text: string): void; onRemove(): void }) {
  const { line, text, problem } = props;
  const product = useQuery(ProductDocument, { variables: { id: line.productId }, fetchPolicy: 'cache-and-network' });
  const current = product.data?.product;
  const stock = current ? (current.active ? current.stock : 0) : undefined;
  const { onStock } = props;
  useEffect(() => onStock(stock), [onStock, stock]);
  const errorId = `quantity-problem-${line.productId}`;
  return (
    <li className="cart-line" aria-label={line.name}>
      <ProductImage product={{ name: line.name, imageUrl: current?.imageUrl }} size="thumb" />
      <span className="name">
        <Link to={`/products/${line.productId}`}>{line.name}</Link>
        {stock !== undefined && <small className={stock > 0 ? 'stock' : 'stock sold-out'}>{stock > 0 ? `${stock} in stock` : 'Sold out'}</small>}
      </span>
      <label>
        <span className="visually-hidden">Quantity of {line.name}</span>
        <input
          inputMode="numeric"
          value={text}
          onChange={(e) => props.onEdit(e.target.value)}
          aria-label={`Quantity of ${line.name}`}
          aria-invalid={Boolean(problem)}
          aria-describedby={problem ? errorId : undefined}
          maxLength={3}
        />
      </label>
      <span className="subtotal">{formatMoney({ amount: line.unitPrice.amount * line.quantity, currency: line.unitPrice.currency })}</span>
      <button type="button" className="remove" onClick={props.onRemove} aria-label={`Remove ${line.name}`}>
        Remove
      </button>
      {problem && (
        <p className="error line-problem" id={errorId} role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
