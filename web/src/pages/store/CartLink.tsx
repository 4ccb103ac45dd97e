import { NavLink } from 'react-router';
import { useCart } from '../../cart';

/** The cart in the top bar of every page, with how many items it holds. */
export function CartLink() {
  const count = useCart().reduce((sum, line) => sum + line.quantity, 0);
  return (
    <NavLink to="/cart" className="cart-link" aria-label={`Cart, ${count} ${count === 1 ? 'item' : 'items'}`}>
      Cart{count > 0 && <span className="cart-count">{count}</span>}
    </NavLink>
  );
}
