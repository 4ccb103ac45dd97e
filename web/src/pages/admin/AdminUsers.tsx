import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { AdminUsersDocument, SetUserStatusDocument } from '../../__generated__/graphql';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/Status';
import { appendNextPage } from '../../pagination';

/** Users by nickname or email; suspend and reactivate. */
export function AdminUsers() {
  const [search, setSearch] = useState('');
  const users = useQuery(AdminUsersDocument, { variables: { first: 50, search: search.trim() || null }, fetchPolicy: 'cache-and-network' });
  const [setStatus, setting] = useMutation(SetUserStatusDocument);
  const list = users.data?.users?.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-label="Users">
      <label>
        Search users
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Nickname or email" />
      </label>
      {users.loading && !users.data && <Loading what="users" />}
      <ErrorMessage error={users.error ?? setting.error} />
      <table>
        <thead>
          <tr>
            <th>Nickname</th>
            <th>Email</th>
            <th>Status</th>
            <th>Roles</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((user) => (
            <tr key={user.id}>
              <td>{user.nickname}</td>
              <td>{user.email}</td>
              <td>{user.status}</td>
              <td>{user.roles.join(', ')}</td>
              <td>
                {user.status === 'SUSPENDED' ? (
                  <button type="button" disabled={setting.loading} onClick={() => void setStatus({ variables: { userId: user.id, status: 'ACTIVE' } }).catch(() => undefined)}>
                    Reactivate
                  </button>
                ) : (
                  user.status !== 'DELETED' && (
                    <button
                      type="button"
                      disabled={setting.loading}
                      aria-label={`Suspend ${user.nickname}`}
                      onClick={() => void setStatus({ variables: { userId: user.id, status: 'SUSPENDED', reason: 'Suspended by an administrator' } }).catch(() => undefined)}
                    >
                      Suspend
                    </button>
                  )
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore
        what="users"
        pageInfo={users.data?.users?.pageInfo}
        load={(after) => users.fetchMore({ variables: { after }, updateQuery: appendNextPage('users') })}
      />
    </section>
  );
}
