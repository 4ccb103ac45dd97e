import { post } from '../support/graphql';
import { startStack, type Stack } from '../support/stack';
import { LOG_IN, REFRESH, signUp, uniqueEmail } from '../support/users';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

describe('refresh tokens through the router', () => {
  test('each refresh rotates the token; reusing a rotated one ends the whole session', async () => {
    const user = await signUp(stack);
    const first = await post(stack.routerUrl, REFRESH, { token: user.refreshToken });
    expect(first.errors).toBeUndefined();
    const rotated = first.data!.refreshSession;
    expect(rotated.refreshToken).not.toBe(user.refreshToken);
    expect(rotated.user.id).toBe(user.id);

    const second = await post(stack.routerUrl, REFRESH, { token: rotated.refreshToken });
    const current = second.data!.refreshSession;

    const reuse = await post(stack.routerUrl, REFRESH, { token: user.refreshToken });
    expect(reuse.data).toBeNull();
    expect(reuse.status).toBe(401);
    expect(reuse.errors![0].extensions!.code).toBe('UNAUTHENTICATED');

    // The session is over: its newest refresh token and its access tokens are refused too.
    const afterReuse = await post(stack.routerUrl, REFRESH, { token: current.refreshToken });
    expect(afterReuse.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    const me = await post(stack.routerUrl, '{ me { id } }', {}, { authorization: `Bearer ${current.accessToken}` });
    expect(me.status).toBe(401);
  });

  test('a refresh token that was never issued is refused', async () => {
    const response = await post(stack.routerUrl, REFRESH, { token: 'x'.repeat(43) });
    expect(response.status).toBe(401);
    expect(response.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  test('logOutEverywhere ends every session of the user, and only theirs', async () => {
    const user = await signUp(stack);
    const bystander = await signUp(stack);
    const second = await post(stack.routerUrl, LOG_IN, { email: user.email, password: user.password });
    const secondHeaders = { authorization: `Bearer ${second.data!.logIn.accessToken}` };
    expect((await post(stack.routerUrl, 'mutation { logOutEverywhere }', {}, user.headers)).data).toEqual({ logOutEverywhere: true });
    expect((await post(stack.routerUrl, '{ me { id } }', {}, secondHeaders)).status).toBe(401);
    expect((await post(stack.routerUrl, REFRESH, { token: second.data!.logIn.refreshToken })).status).toBe(401);
    expect((await post(stack.routerUrl, '{ me { id } }', {}, bystander.headers)).data).toEqual({ me: { id: bystander.id } });
    // Signing in again works at once.
    const again = await post(stack.routerUrl, LOG_IN, { email: user.email, password: user.password });
    const me = await post(stack.routerUrl, '{ me { id } }', {}, { authorization: `Bearer ${again.data!.logIn.accessToken}` });
    expect(me.data).toEqual({ me: { id: user.id } });
  });
});

describe('sign-in lockout', () => {
  test('the same message for an unknown email and a wrong password', async () => {
    const user = await signUp(stack);
    const wrongPassword = await post(stack.routerUrl, LOG_IN, { email: user.email, password: 'not-the-password-1' });
    const unknownEmail = await post(stack.routerUrl, LOG_IN, { email: uniqueEmail('nobody'), password: 'not-the-password-1' });
    expect(wrongPassword.errors![0].message).toBe(unknownEmail.errors![0].message);
    expect(wrongPassword.errors![0].extensions!.code).toBe(unknownEmail.errors![0].extensions!.code);
    expect(wrongPassword.status).toBe(unknownEmail.status);
  });

  test('after 5 wrong passwords the account is locked, even for the right password, and unknown emails behave alike', async () => {
    const user = await signUp(stack);
    const unknown = uniqueEmail('ghost');
    for (let attempt = 1; attempt <= 5; attempt++) {
      for (const email of [user.email, unknown]) {
        const response = await post(stack.routerUrl, LOG_IN, { email, password: `wrong-password-${attempt}` });
        expect(response.errors![0].extensions!.code).not.toBe('RATE_LIMITED');
      }
    }
    for (const [email, password] of [[user.email, user.password], [unknown, 'whatever-1']]) {
      const locked = await post(stack.routerUrl, LOG_IN, { email, password });
      expect(locked.status).toBe(429);
      expect(locked.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(locked.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
    }
    // Other accounts are not affected.
    const other = await signUp(stack);
    const ok = await post(stack.routerUrl, LOG_IN, { email: other.email, password: other.password });
    expect(ok.errors).toBeUndefined();
  });
});
