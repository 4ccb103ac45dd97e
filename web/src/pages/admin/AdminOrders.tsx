import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link } from 'react-router';
import { AdminOrdersDocument, CancelOrderDocument, CompleteOrderDocument, ShipOrderDocument, type OrderStatus } from '../../__generated__/graphql';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';
import { appendNextPage } from '../../pagination';

const STATUSES: OrderStatus[] = ['PENDING_PAYMENT', 'PAID', 'SHIPPED', 'COMPLETED', 'CANCELLED', 'REFUNDED', 'PAYMENT_FAILED'];

/** Every order, by status: ship, complete, cancel. */
export function AdminOrders() {
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const orders = useQuery(AdminOrdersDocument, { variables: { first: 50, status: status || null }, fetchPolicy: 'cache-and-network' });
  const [ship, shipping] = useMutation(ShipOrderDocument);
  const [complete, completing] = useMutation(CompleteOrderDocument);
  const [cancel, cancelling] = useMutation(CancelOrderDocument);
  const busy = shipping.loading || completing.loading || cancelling.loading;
  const list = orders.data?.orders?.edges.map((edge) => edge.node) ?? [];
  // The answer is the changed order, which Apollo's cache puts in the list in place.
  const act = (run: Promise<unknown>) => void run.catch(() => undefined);
  return (
    <section aria-label="Orders">
      <label>
        Status
        <select value={status} onChange={(e) => setStatus(e.target.value as OrderStatus | '')}>
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {orders.loading && !orders.data && <Loading what="orders" />}
      <ErrorMessage error={orders.error ?? shipping.error ?? completing.error ?? cancelling.error} />
      <ul className="orders">
        {list.map((order) => (
          <li key={order.id} className="card">
            <Link to={`/orders/${order.id}`}>{order.buyer.nickname}</Link> · {order.items.map((item) => `${item.productName} × ${item.quantity}`).join(', ')} ·{' '}
            {formatMoney(order.total)} · <span className="status">{order.status}</span>
            {order.status === 'PAID' && (
              <button type="button" disabled={busy} onClick={() => act(ship({ variables: { orderId: order.id } }))}>
                Ship
              </button>
            )}
            {order.status === 'SHIPPED' && (
              <button type="button" disabled={busy} onClick={() => act(complete({ variables: { orderId: order.id } }))}>
                Complete
              </button>
            )}
            {['PENDING_PAYMENT', 'PAID', 'SHIPPED'].includes(order.status) && (
              <button type="button" disabled={busy} onClick={() => act(cancel({ variables: { orderId: order.id, reason: 'Cancelled by an administrator' } }))}>
                Cancel
              </button>
            )}
          </li>
        ))}
      </ul>
      <LoadMore
        what="orders"
        pageInfo={orders.data?.orders?.pageInfo}
        load={(after) => orders.fetchMore({ variables: { after }, updateQuery: appendNextPage('orders') })}
      />
    </section>
  );
}
