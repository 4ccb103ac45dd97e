import { post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';

let stack: Stack;
let admin: SignedIn;
let target: SignedIn;
beforeAll(async () => {
  stack = await startStack();
  admin = await signUpAdmin(stack);
  target = await signUp(stack, { nickname: 'Target' });
});
afterAll(() => stack?.close());

type Viewer = 'anonymous' | 'user' | 'admin';

/** A fresh account for each case, since some protected mutations end sessions or delete the caller. */
async function headersFor(viewer: Viewer): Promise<Record<string, string>> {
  if (viewer === 'anonymous') return {};
  return (await (viewer === 'user' ? signUp(stack) : signUpAdmin(stack))).headers;
}

/** Every protected root field of the graph, with the scope it needs and whether its type is nullable. */
const PROTECTED = [
  { field: 'me', needs: 'user', nullable: true, operation: () => '{ me { id } }' },
  { field: 'users', needs: 'admin', nullable: true, operation: () => '{ users(first: 1) { totalCount } }' },
  { field: 'updateProfile', needs: 'user', nullable: false, operation: () => 'mutation { updateProfile(input: { bio: "hi" }) { id } }' },
  { field: 'deleteAccount', needs: 'user', nullable: false, operation: () => 'mutation { deleteAccount }' },
  { field: 'logOut', needs: 'user', nullable: false, operation: () => 'mutation { logOut }' },
  { field: 'logOutEverywhere', needs: 'user', nullable: false, operation: () => 'mutation { logOutEverywhere }' },
  {
    field: 'changePassword',
    needs: 'user',
    nullable: false,
    operation: () => 'mutation { changePassword(currentPassword: "wrong-password-1", newPassword: "another-pass-2") }',
  },
  {
    field: 'setUserStatus',
    needs: 'admin',
    nullable: false,
    operation: () => `mutation { setUserStatus(userId: "${target.id}", status: ACTIVE) { id } }`,
  },
  {
    field: 'setUserRoles',
    needs: 'admin',
    nullable: false,
    operation: () => `mutation { setUserRoles(userId: "${target.id}", roles: [USER]) { id roles } }`,
  },
] as const;

const allowed = (viewer: Viewer, needs: 'user' | 'admin') => viewer === 'admin' || (viewer === 'user' && needs === 'user');

describe.each(['anonymous', 'user', 'admin'] as const)('as %s', (viewer) => {
  test.each(PROTECTED.map((c) => [c.field, c] as const))('%s', async (_name, { field, needs, nullable, operation }) => {
    const response = await post(stack.routerUrl, operation(), {}, await headersFor(viewer));
    const unauthorized = (response.errors ?? []).filter((e) => e.extensions?.code === 'UNAUTHORIZED_FIELD_OR_TYPE');
    if (allowed(viewer, needs)) {
      expect(unauthorized).toEqual([]);
      return;
    }
    expect(response.status).toBe(200);
    expect(unauthorized).toEqual([{ message: expect.any(String), path: [field], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
    expect(response.errors).toHaveLength(1);
    expect(response.data).toEqual(nullable ? { [field]: null } : null);
  });
});

describe('the rest of the operation still runs', () => {
  test('anonymous: me is null with one error, user(id) is answered', async () => {
    const response = await post(stack.routerUrl, 'query($id: ID!) { me { id } profile: user(id: $id) { id nickname } }', { id: target.id });
    expect(response.data).toEqual({ me: null, profile: { id: target.id, nickname: 'Target' } });
    expect(response.errors).toEqual([{ message: expect.any(String), path: ['me'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
  });

  test('a signed-in user: users (admin) is removed while fragments and aliases on the rest resolve', async () => {
    const user = await signUp(stack, { nickname: 'Frag' });
    const response = await post(
      stack.routerUrl,
      `query($first: Int) { ...Me  everyone: users(first: $first) { totalCount } }
       fragment Me on Query { self: me { ...Names } }
       fragment Names on User { nickname email }`,
      { first: 5 },
      user.headers,
    );
    // Root fields are nullable: the refused one alone is null, the rest is answered.
    expect(response.data).toEqual({ self: { nickname: 'Frag', email: user.email }, everyone: null });
    expect(response.errors).toEqual([{ message: expect.any(String), path: ['everyone'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
  });

  test('an admin gets everything', async () => {
    const response = await post(stack.routerUrl, '{ me { id roles } users(first: 2, search: "Target") { totalCount edges { node { id email } } } }', {}, admin.headers);
    expect(response.errors).toBeUndefined();
    expect(response.data!.me).toEqual({ id: admin.id, roles: ['USER', 'ADMIN'] });
    expect(response.data!.users.edges).toEqual([{ node: { id: target.id, email: target.email } }]);
  });
});
