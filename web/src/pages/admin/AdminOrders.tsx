import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link } from 'react-router';
import { AdminOrdersDocument, CancelOrderDocument, CompleteOrderDocument, ShipOrderDocument, type OrderStatus } from '../../__generated__/graphql';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';
import { ORDER_STATUSES, orderStatusText } from '../../orderStatus';
import { ConfirmAction } from '../store/ConfirmAction';
import { ShippingAddressView } from '../store/ShippingAddressView';
import { appendNextPage } from '../../pagination';

/** Every order, by status: where it goes, ship, complete, cancel (after a confirmation). */
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
          {ORDER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {orderStatusText(s)}
            </option>
          ))}
        </select>
      </label>
      {orders.loading && !orders.data && <Loading what="orders" />}
      <ErrorMessage error={orders.error ?? shipping.error ?? completing.error ?? cancelling.error} />
      <ul className="orders">
        {list.map((order) => (
          <li key={order.id} className="card admin-order" aria-label={`Order of ${order.buyer.nickname}`}>
            <p className="summary">
              <Link to={`/orders/${order.id}`}>{order.buyer.nickname}</Link> · {order.items.map((item) => `${item.productName} × ${item.quantity}`).join(', ')} ·{' '}
              {formatMoney(order.total)} · <span className="status">{orderStatusText(order.status)}</span>
            </p>
            <ShippingAddressView address={order.shippingAddress} />
            <div className="actions">
              {order.status === 'PAID' && (
                <button type="button" disabled={busy} onClick={() => act(ship({ variables: { orderId: order.id } }))}>
                  Ship
                </button>
              )}
              {order.status === 'SHIPPED' && (
                <button type="button" disabled={busy} onClick={() => act(complete({ variables: { orderId: order.id } }))}>
                  Mark delivered
                </button>
              )}
              {['PENDING_PAYMENT', 'PAID', 'SHIPPED'].includes(order.status) && (
                <ConfirmAction
                  label="Cancel"
                  question={
                    <>
                      Cancel {order.buyer.nickname}'s order of {formatMoney(order.total)}?{' '}
                      {order.status === 'PENDING_PAYMENT' ? 'It has not been paid; the stock goes back.' : 'The payment is refunded to the buyer and the stock goes back.'}
                    </>
                  }
                  confirm="Yes, cancel the order"
                  keep="Keep it"
                  disabled={busy}
                  onConfirm={() => act(cancel({ variables: { orderId: order.id, reason: 'Cancelled by an administrator' } }))}
                />
              )}
            </div>
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
