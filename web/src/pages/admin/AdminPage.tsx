import { NavLink, Navigate, Route, Routes } from 'react-router';
import { AdminJobs } from './AdminJobs';
import { AdminOrders } from './AdminOrders';
import { AdminProducts } from './AdminProducts';
import { AdminUsers } from './AdminUsers';

/**
 * Administration; the app shows it to administrators only, and the graph enforces it. Links are
 * absolute: under the `/admin/*` splat a relative one resolves against the whole URL and nests.
 */
export function AdminPage() {
  return (
    <div className="admin">
      <nav aria-label="Administration" className="tabs">
        <NavLink to="/admin/users">Users</NavLink>
        <NavLink to="/admin/products">Products</NavLink>
        <NavLink to="/admin/orders">Orders</NavLink>
        <NavLink to="/admin/jobs">Jobs</NavLink>
      </nav>
      <Routes>
        <Route path="users" element={<AdminUsers />} />
        <Route path="products" element={<AdminProducts />} />
        <Route path="orders" element={<AdminOrders />} />
        <Route path="jobs" element={<AdminJobs />} />
        <Route path="*" element={<Navigate to="/admin/users" replace />} />
      </Routes>
    </div>
  );
}
