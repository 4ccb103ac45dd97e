import type { OrderDetailFragment } from '../../__generated__/graphql';

/** Where an order goes, as the buyer gave it; the administrator ships to it. */
export function ShippingAddressView({ address }: { address: OrderDetailFragment['shippingAddress'] }) {
  if (!address) return <p className="hint">No delivery address was given for this order.</p>;
  return (
    <address className="shipping-address" aria-label="Delivery address">
      <strong>{address.recipient}</strong> · {address.phone}
      <br />
      {address.line1}
      {address.line2 && `, ${address.line2}`}
      <br />
      {address.postalCode}
    </address>
  );
}
