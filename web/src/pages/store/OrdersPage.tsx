import { useQuery } from '@apollo/client/react';
import { Link } from 'react-router';
import { MyOrdersDocument } from '../../__generated__/graphql';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';
import { orderStatusText } from '../../orderStatus';
import { appendNextPage } from '../../pagination';

/** The buyer's orders, newest first. */
export function OrdersPage() {
  const orders = useQuery(MyOrdersDocument, { variables: { first: 50 }, fetchPolicy: 'cache-and-network' });
  const list = orders.data?.myOrders?.edges.map((edge) => edge.node) ?? [];
  return (
    <section className="card" aria-label="My orders">
      <h1>My orders</h1>
      {orders.loading && !orders.data && <Loading what="your orders" />}
      <ErrorMessage error={orders.error} />
      {orders.data?.myOrders && list.length === 0 && <p className="hint">No orders yet.</p>}
      <ul className="orders">
        {list.map((order) => (
          <li key={order.id}>
            <Link to={`/orders/${order.id}`}>
              {new Date(order.createdAt).toLocaleString()} · {order.items.map((item) => `${item.productName} × ${item.quantity}`).join(', ')} ·{' '}
              {formatMoney(order.total)} · <span className="status">{orderStatusText(order.status)}</span>
            </Link>
          </li>
        ))}
      </ul>
      <LoadMore
        what="orders"
        pageInfo={orders.data?.myOrders?.pageInfo}
        load={(after) => orders.fetchMore({ variables: { after }, updateQuery: appendNextPage('myOrders') })}
      />
    </section>
  );
}
