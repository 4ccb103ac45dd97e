import { useMutation } from '@apollo/client/react';
import { lazy, Suspense, type ComponentType } from 'react';
import { Link, Navigate, NavLink, Route, Routes } from 'react-router';
import { client } from './apollo';
import { LogOutDocument } from './__generated__/graphql';
import { Loading } from './components/Status';
import { AuthPage } from './pages/AuthPage';
import { CartLink } from './pages/store/CartLink';
import { session } from './session';
import { useRestoringSession, useSession } from './useSession';

/**
 * A page whose code loads when it is first opened: the first page (sign-in, or the room list)
 * does not wait for the store's, the profile's or the administration's code.
 */
function onDemand<Name extends string>(load: () => Promise<Record<Name, ComponentType>>, name: Name) {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

const ChatPage = onDemand(() => import('./pages/ChatPage'), 'ChatPage');
const PasswordResetPage = onDemand(() => import('./pages/PasswordResetPage'), 'PasswordResetPage');
const ProfilePage = onDemand(() => import('./pages/ProfilePage'), 'ProfilePage');
const CartPage = onDemand(() => import('./pages/store/CartPage'), 'CartPage');
const OrderPage = onDemand(() => import('./pages/store/OrderPage'), 'OrderPage');
const OrdersPage = onDemand(() => import('./pages/store/OrdersPage'), 'OrdersPage');
const StorePage = onDemand(() => import('./pages/store/StorePage'), 'StorePage');
const ProductPage = onDemand(() => import('./pages/store/ProductPage'), 'ProductPage');
// Only administrators load the administration's code.
const AdminPage = onDemand(() => import('./pages/admin/AdminPage'), 'AdminPage');

export function App() {
  const current = useSession();
  const restoring = useRestoringSession();
  const isAdmin = current?.user.roles.includes('ADMIN') ?? false;
  if (!current) {
    return (
      <div className="app">
        <header className="topbar">
          <Link to="/" className="brand">
            DoranDoran
          </Link>
        </header>
        <main>
          {restoring ? (
            // The session cookie is being traded for an access token: neither the sign-in form nor the app yet.
            <p className="loading" role="status">
              Restoring your session…
            </p>
          ) : (
            <Suspense fallback={<Loading what="the page" />}>
              <Routes>
                <Route path="/signup" element={<AuthPage mode="signUp" />} />
                <Route path="/reset-password" element={<PasswordResetPage />} />
                <Route path="*" element={<AuthPage mode="logIn" />} />
              </Routes>
            </Suspense>
          )}
        </main>
      </div>
    );
  }
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          DoranDoran
        </Link>
        <nav>
          <NavLink to="/chat">Chat</NavLink>
          <NavLink to="/store">Store</NavLink>
          <NavLink to="/orders">My orders</NavLink>
          <CartLink />
          <NavLink to="/profile">Profile</NavLink>
          {isAdmin && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <span className="who">{current.user.nickname}</span>
        <LogOutButton />
      </header>
      <main>
        <Suspense fallback={<Loading what="the page" />}>
          <Routes>
            <Route path="/chat/:roomId?" element={<ChatPage />} />
            <Route path="/store" element={<StorePage />} />
            <Route path="/products/:productId" element={<ProductPage />} />
            <Route path="/cart" element={<CartPage />} />
            <Route path="/orders" element={<OrdersPage />} />
            <Route path="/orders/:orderId" element={<OrderPage />} />
            <Route path="/profile" element={<ProfilePage />} />
            {isAdmin && <Route path="/admin/*" element={<AdminPage />} />}
            <Route path="*" element={<Navigate to="/chat" replace />} />
          </Routes>
        </Suspense>
      </main>
    </div>
  );
}

function LogOutButton() {
  const [logOut, { loading }] = useMutation(LogOutDocument);
  const signOut = async () => {
    // The session ends here whatever the router answers: an expired token cannot log out anyway.
    await logOut().catch(() => undefined);
    session.set(null);
    await client.clearStore();
  };
  return (
    <button type="button" onClick={signOut} disabled={loading}>
      Log out
    </button>
  );
}
