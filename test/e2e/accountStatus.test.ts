import { post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { LOG_IN, REFRESH, signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';
import { eventually } from '@dorandoran/test-support/ws';

let stack: Stack;
let admin: SignedIn;
beforeAll(async () => {
  stack = await startStack();
  admin = await signUpAdmin(stack);
});
afterAll(() => stack?.close());

const SET_STATUS = 'mutation($id: ID!, $status: UserStatus!, $reason: String) { setUserStatus(userId: $id, status: $status, reason: $reason) { id status } }';

describe('suspension and deletion end access', () => {
  test('suspending a user refuses their access and refresh tokens and their sign-in; reactivating lets them back', async () => {
    const user = await signUp(stack);
    const suspended = await post(stack.routerUrl, SET_STATUS, { id: user.id, status: 'SUSPENDED', reason: 'spam' }, admin.headers);
    expect(suspended.data!.setUserStatus).toEqual({ id: user.id, status: 'SUSPENDED' });

    expect((await post(stack.routerUrl, '{ me { id } }', {}, user.headers)).status).toBe(401);
    const refresh = await post(stack.routerUrl, REFRESH, { token: user.refreshToken });
    expect(refresh.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    // Sign-in follows once auth has applied users' event (the tokens above were refused at once).
    const logIn = () => post(stack.routerUrl, LOG_IN, { email: user.email, password: user.password });
    await eventually(async () => (await logIn()).status === 403, 'sign-in refused', 5000);
    const refused = await logIn();
    expect(refused.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(refused.errors![0].message).toMatch(/suspended/i);

    await post(stack.routerUrl, SET_STATUS, { id: user.id, status: 'ACTIVE' }, admin.headers);
    await eventually(async () => (await logIn()).errors === undefined, 'sign-in allowed again', 5000);
  });

  test('deleteAccount erases the profile, ends the sessions and frees nothing secret', async () => {
    const user = await signUp(stack, { nickname: 'Leaving' });
    expect((await post(stack.routerUrl, 'mutation { deleteAccount }', {}, user.headers)).data).toEqual({ deleteAccount: true });
    expect((await post(stack.routerUrl, '{ me { id } }', {}, user.headers)).status).toBe(401);
    const profile = () => post(stack.routerUrl, 'query($id: ID!) { user(id: $id) { nickname status bio email } }', { id: user.id }, admin.headers);
    expect((await profile()).data!.user).toMatchObject({ nickname: 'Deleted user', status: 'DELETED', bio: null });
    // The address is auth's: it drops it when it applies users' user.deleted, an event's delay later.
    await eventually(async () => (await profile()).data!.user.email === null, 'email erased', 5000);
    expect((await profile()).data!.user).toEqual({ nickname: 'Deleted user', status: 'DELETED', bio: null, email: null });
    await eventually(async () => (await post(stack.routerUrl, LOG_IN, { email: user.email, password: user.password })).data === null, 'sign-in refused', 5000);
  });

  test('a deleted account cannot be reactivated', async () => {
    const user = await signUp(stack);
    await post(stack.routerUrl, 'mutation { deleteAccount }', {}, user.headers);
    const response = await post(stack.routerUrl, SET_STATUS, { id: user.id, status: 'ACTIVE' }, admin.headers);
    expect(response.status).toBe(409);
    expect(response.errors![0].extensions!.code).toBe('CONFLICT');
  });

  test('with auth down, suspension still refuses the user at the router at once', async () => {
    const user = await signUp(stack);
    await stack.stopService('auth');
    const started = Date.now();
    const suspended = await post(stack.routerUrl, SET_STATUS, { id: user.id, status: 'SUSPENDED' }, admin.headers);
    expect(suspended.data!.setUserStatus.status).toBe('SUSPENDED');
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await post(stack.routerUrl, '{ user(id: "' + user.id + '") { nickname } }', {}, user.headers)).status).toBe(401);
  });
});
