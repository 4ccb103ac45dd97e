import { bearer, post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, SIGN_UP, uniqueEmail } from '@dorandoran/test-support/users';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

describe('sign up → me → update profile → log out, through the router', () => {
  test('signUp returns a session whose user has every field at once, nickname included', async () => {
    const email = uniqueEmail('Flow');
    const response = await post(stack.routerUrl, SIGN_UP, {
      input: { email: `  ${email.toUpperCase()} `, password: 'abcdefg1', nickname: '  Jun  ' },
    });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    const { accessToken, refreshToken, expiresIn, user } = response.data!.signUp;
    expect(accessToken.split('.')).toHaveLength(3);
    expect(refreshToken.length).toBeGreaterThan(30);
    expect(expiresIn).toBe(900);
    expect(user).toEqual({ id: expect.any(String), nickname: 'Jun', email: email.toLowerCase(), roles: ['USER'], status: 'ACTIVE' });
  });

  test('me, updateProfile, logOut, then the token is refused with 401', async () => {
    const user = await signUp(stack, { nickname: 'Sora' });
    const me = await post(stack.routerUrl, '{ me { id nickname email roles lastLoginAt createdAt } }', {}, user.headers);
    expect(me.data!.me).toEqual({
      id: user.id,
      nickname: 'Sora',
      email: user.email,
      roles: ['USER'],
      lastLoginAt: expect.any(String),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const updated = await post(
      stack.routerUrl,
      'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { nickname bio avatarUrl locale } }',
      { input: { nickname: ' Sora Lee ', bio: '  hello ', avatarUrl: 'https://example.com/sora.png', locale: 'en-US' } },
      user.headers,
    );
    expect(updated.data!.updateProfile).toEqual({ nickname: 'Sora Lee', bio: 'hello', avatarUrl: 'https://example.com/sora.png', locale: 'en-US' });

    const loggedOut = await post(stack.routerUrl, 'mutation { logOut }', {}, user.headers);
    expect(loggedOut.data).toEqual({ logOut: true });

    const refused = await post(stack.routerUrl, '{ me { id } }', {}, user.headers);
    expect(refused.status).toBe(401);
    expect(refused.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect(refused.errors![0].message).toMatch(/revoked/);
  });

  test('a bad profile change is refused with the field named, and changes nothing', async () => {
    const user = await signUp(stack, { nickname: 'Hana' });
    const response = await post(
      stack.routerUrl,
      'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { nickname } }',
      { input: { nickname: 'Hana Park', avatarUrl: 'ftp://example.com/a.png' } },
      user.headers,
    );
    expect(response.status).toBe(400);
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'avatarUrl' });
    const me = await post(stack.routerUrl, '{ me { nickname avatarUrl } }', {}, user.headers);
    expect(me.data!.me).toEqual({ nickname: 'Hana', avatarUrl: null });
  });

  test('another user sees a profile but not its email, roles or last sign-in; the user themself sees them', async () => {
    const owner = await signUp(stack);
    const other = await signUp(stack);
    const query = 'query($id: ID!) { user(id: $id) { id nickname email lastLoginAt } }';
    const asOther = await post(stack.routerUrl, query, { id: owner.id }, other.headers);
    expect(asOther.data!.user).toEqual({ id: owner.id, nickname: 'Mina Kim', email: null, lastLoginAt: null });
    const anonymous = await post(stack.routerUrl, query, { id: owner.id });
    expect(anonymous.data!.user).toMatchObject({ email: null, lastLoginAt: null });
    const asOwner = await post(stack.routerUrl, query, { id: owner.id }, owner.headers);
    expect(asOwner.data!.user).toMatchObject({ email: owner.email, lastLoginAt: expect.any(String) });
    // Who is an administrator is not public: roles are refused, anonymously or as someone else.
    for (const headers of [{}, other.headers]) {
      const roles = await post(stack.routerUrl, 'query($id: ID!) { user(id: $id) { id roles } }', { id: owner.id }, headers);
      expect(roles.data!.user).toBeNull();
      expect(roles.errors![0].extensions!.code).toBe('FORBIDDEN');
    }
  });

  test('an unknown user id is null, not an error', async () => {
    const response = await post(stack.routerUrl, '{ user(id: "0193aaaa-0000-7000-8000-000000000000") { id nickname } }');
    expect(response).toMatchObject({ status: 200, data: { user: null } });
    expect(response.errors).toBeUndefined();
  });

  test('a malformed or expired-looking token is refused with 401 UNAUTHENTICATED', async () => {
    for (const authorization of ['Bearer not.a.jwt', 'Basic abc', bearer('eyJhbGciOiJFUzI1NiJ9.e30.AAAA').authorization]) {
      const response = await post(stack.routerUrl, '{ user(id: "x") { id } }', {}, { authorization });
      expect(response.status).toBe(401);
      expect(response.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    }
  });
});
