import { useMutation } from '@apollo/client/react';
import { lazy, Suspense } from 'react';
import { Link, Navigate, NavLink, Route, Routes } from 'react-router';
import { client } from './apollo';
import { LogOutDocument } from './__generated__/graphql';
import { Loading } from './components/Status';
import { AuthPage } from './pages/AuthPage';
import { ChatPage } from './pages/ChatPage';
import { PasswordResetPage } from './pages/PasswordResetPage';
import { ProfilePage } from './pages/ProfilePage';
import { CartPage } from './pages/store/CartPage';
import { OrderPage } from './pages/store/OrderPage';
import { OrdersPage } from './pages/store/OrdersPage';
import { StorePage } from './pages/store/StorePage';
import { session } from './session';
import { useSession } from './useSession';

// Only administrators load the administration's code.
const AdminPage = lazy(() => import('./pages/admin/AdminPage').then((module) => ({ default: module.AdminPage })));

export function App() {
  const current = useSession();
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
          <Routes>
            <Route path="/signup" element={<AuthPage mode="signUp" />} />
            <Route path="/reset-password" element={<PasswordResetPage />} />
            <Route path="*" element={<AuthPage mode="logIn" />} />
          </Routes>
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
          <NavLink to="/profile">Profile</NavLink>
          {isAdmin && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <span className="who">{current.user.nickname}</span>
        <LogOutButton />
      </header>
      <main>
        <Routes>
          <Route path="/chat/:roomId?" element={<ChatPage />} />
          <Route path="/store" element={<StorePage />} />
          <Route path="/cart" element={<CartPage />} />
          <Route path="/orders" element={<OrdersPage />} />
          <Route path="/orders/:orderId" element={<OrderPage />} />
          <Route path="/profile" element={<ProfilePage />} />
          {isAdmin && (
            <Route
              path="/admin/*"
              element={
                <Suspense fallback={<Loading what="administration" />}>
                  <AdminPage />
                </Suspense>
              }
            />
          )}
          <Route path="*" element={<Navigate to="/chat" replace />} />
        </Routes>
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
