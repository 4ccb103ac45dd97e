import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { PlaceOrderDocument } from '../../__generated__/graphql';
import { cart, MAX_QUANTITY, useCart } from '../../cart';
import { ErrorMessage } from '../../components/Status';
import { formatMoney } from '../../money';

/** The cart and placing the order; prices and the total are the server's once it is placed. */
export function CartPage() {
  const lines = useCart();
  const navigate = useNavigate();
  const [place, { loading, error }] = useMutation(PlaceOrderDocument);
  // One key per checkout: a retry after a lost answer returns the same order instead of a second one.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const currency = lines[0]?.unitPrice.currency ?? 'KRW';
  const total = lines.reduce((sum, line) => sum + line.unitPrice.amount * line.quantity, 0);

  const checkout = async () => {
    const { data } = await place({
      variables: { input: { idempotencyKey, items: lines.map((line) => ({ productId: line.productId, quantity: line.quantity })) } },
    }).catch(() => ({ data: undefined }));
    if (data) {
      cart.clear();
      navigate(`/orders/${data.placeOrder.id}`);
    }
  };

  if (lines.length === 0) {
    return (
      <p className="hint">
        Your cart is empty. <Link to="/store">Browse the store</Link>.
      </p>
    );
  }
  return (
    <section className="card cart" aria-label="Cart">
      <h1>Cart</h1>
      <ul>
        {lines.map((line) => (
          <li key={line.productId} className="cart-line">
            <span>{line.name}</span>
            <label>
              <span className="visually-hidden">Quantity of {line.name}</span>
              <input
                type="number"
                min={0}
                max={MAX_QUANTITY}
                value={line.quantity}
                onChange={(e) => cart.setQuantity(line.productId, Number(e.target.value))}
                aria-label={`Quantity of ${line.name}`}
              />
            </label>
            <span>{formatMoney({ amount: line.unitPrice.amount * line.quantity, currency: line.unitPrice.currency })}</span>
          </li>
        ))}
      </ul>
      <p>
        Total <strong>{formatMoney({ amount: total, currency })}</strong>
      </p>
      <ErrorMessage error={error} />
      <button type="button" onClick={checkout} disabled={loading}>
        Place order
      </button>
    </section>
  );
}
