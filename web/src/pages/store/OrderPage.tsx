import { useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { useParams } from 'react-router';
import { CancelOrderDocument, OrderDocument, OrderStatusChangedDocument, PayOrderDocument } from '../../__generated__/graphql';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';
import { historyText, orderStatusText } from '../../orderStatus';
import { useResubscribe } from '../../useResubscribe';
import { ConfirmAction } from './ConfirmAction';
import { ShippingAddressView } from './ShippingAddressView';

/** The sandbox provider's test cards (store's PayOrderInput.paymentKey). */
const SANDBOX_CARDS = [
  { key: 'sandbox-card-approve', label: 'Sandbox card (approves)' },
  { key: 'sandbox-card-decline', label: 'Sandbox card (declines)' },
];

/** One order; its status follows the store live (orderStatusChanged). */
export function OrderPage() {
  const { orderId } = useParams();
  const order = useQuery(OrderDocument, { variables: { id: orderId! }, fetchPolicy: 'network-only' });
  const current = order.data?.order;
  // Each event carries the whole order, and Apollo's cache updates the page by its id. The first is
  // the order as it is once the feed is live, so after a reconnection, or a new subscription after the
  // store was down too long, the page catches up by itself. Followed once shown: an order that is not
  // the viewer's is refused, and would be asked for again and again.
  const feed = useSubscription(OrderStatusChangedDocument, { variables: { orderId: orderId! }, skip: !current });
  useResubscribe(feed);

  if (order.loading && !order.data) return <Loading what="the order" />;
  if (order.error) return <ErrorMessage error={order.error} />;
  if (!current) return <p className="error" role="alert">There is no such order, or it is not yours.</p>;

  return (
    <section className="card order" aria-label="Order">
      <h1>Order</h1>
      <p>
        Status: <strong aria-label="Order status">{orderStatusText(current.status)}</strong>
      </p>
      <ul>
        {current.items.map((item) => (
          <li key={item.product.id}>
            {item.productName} × {item.quantity} — {formatMoney(item.subtotal)}
          </li>
        ))}
      </ul>
      <p>
        Total <strong>{formatMoney(current.total)}</strong>
      </p>
      <h2>Delivery</h2>
      <ShippingAddressView address={current.shippingAddress} />
      {current.payment?.failureReason && (
        <p className="error" role="alert">
          {current.payment.failureReason}
          {current.status === 'PAYMENT_FAILED' && ' This order has ended; place a new order to try another card.'}
        </p>
      )}
      {current.status === 'PENDING_PAYMENT' && <PaymentForm orderId={current.id} amount={current.total.amount} />}
      {(current.status === 'PENDING_PAYMENT' || current.status === 'PAID') && <CancelButton orderId={current.id} paid={current.status === 'PAID'} />}
      <h2>History</h2>
      <ol className="history">
        {current.history.map((change) => (
          <li key={`${change.at}-${change.to}`}>
            <time dateTime={change.at}>{new Date(change.at).toLocaleString()}</time>: {historyText(change)}
            {change.reason ? ` — ${change.reason}` : ''}
          </li>
        ))}
      </ol>
    </section>
  );
}

function PaymentForm({ orderId, amount }: { orderId: string; amount: number }) {
  const [card, setCard] = useState(SANDBOX_CARDS[0].key);
  const [pay, { loading, error }] = useMutation(PayOrderDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await pay({ variables: { input: { orderId, paymentKey: card, amount } } }).catch(() => undefined);
  };
  return (
    <form className="payment" onSubmit={submit}>
      <label>
        Card
        <select value={card} onChange={(e) => setCard(e.target.value)}>
          {SANDBOX_CARDS.map((option) => (
            <option key={option.key} value={option.key}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      <ErrorMessage error={error} />
      <button type="submit" disabled={loading}>
        Pay {formatMoney({ amount, currency: 'KRW' })}
      </button>
    </form>
  );
}

function CancelButton({ orderId, paid }: { orderId: string; paid: boolean }) {
  const [cancel, { loading, error }] = useMutation(CancelOrderDocument);
  return (
    <div>
      <ConfirmAction
        label="Cancel order"
        question={paid ? 'Cancel this order? Your payment will be refunded to your card.' : 'Cancel this order? It cannot be undone.'}
        confirm="Yes, cancel the order"
        keep="Keep the order"
        disabled={loading}
        onConfirm={() => void cancel({ variables: { orderId, reason: 'Cancelled by the buyer' } }).catch(() => undefined)}
      />
      <ErrorMessage error={error} />
    </div>
  );
}
