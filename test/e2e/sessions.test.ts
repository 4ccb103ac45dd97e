import { post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { LOG_IN, REFRESH, signUp, uniqueEmail } from '@dorandoran/test-support/users';

let stack: Stack;
beforeAll(async () => {
  // Behind one trusted proxy, whose X-Forwarded-Proto says whether the browser spoke https.
  stack = await startStack({ TRUST_PROXY_HOPS: '1' });
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

describe('the browser session: the refresh token in the router’s httpOnly cookie', () => {
  const BROWSER = { 'x-dorandoran-session': 'cookie' };
  const SESSION_PATH = '/graphql/session';
  const sessionUrl = () => stack.routerUrl.replace(/\/graphql$/, SESSION_PATH);
  const COOKIE_REFRESH = 'mutation { refreshSession { accessToken refreshToken expiresIn user { id } } }';
  const LOG_IN_BROWSER = 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken refreshToken user { id } } }';

  /** The refresh cookie's value and attributes from a Set-Cookie header. */
  function refreshCookie(headers: Headers): { value: string; attributes: string[] } {
    const header = headers.get('set-cookie');
    expect(header).toBeTruthy();
    const [pair, ...attributes] = header!.split(';').map((part) => part.trim());
    const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
    expect(name).toBe('dd_refresh');
    return { value, attributes };
  }
  const cookieHeader = (value: string) => ({ cookie: `dd_refresh=${value}` });

  test('logIn sets the cookie (httpOnly, SameSite=Strict, the session path only, not Secure over http) and answers no refresh token', async () => {
    const user = await signUp(stack);
    const response = await post(stack.routerUrl, LOG_IN_BROWSER, { email: user.email, password: user.password }, BROWSER);
    expect(response.errors).toBeUndefined();
    expect(response.data!.logIn.refreshToken).toBeNull();
    expect(response.data!.logIn.accessToken).toEqual(expect.any(String));
    const { value, attributes } = refreshCookie(response.headers);
    expect(value).toMatch(/^[\w-]{20,}$/);
    expect(attributes).toEqual(expect.arrayContaining(['Path=/graphql/session', 'HttpOnly', 'SameSite=Strict', 'Max-Age=604800']));
    expect(attributes).not.toContain('Secure');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  test('refreshSession without an argument takes the cookie on the session path, rotates it, and a reused cookie whose successor was used ends the session', async () => {
    const user = await signUp(stack);
    const signedIn = await post(stack.routerUrl, LOG_IN_BROWSER, { email: user.email, password: user.password }, BROWSER);
    const first = refreshCookie(signedIn.headers).value;

    const renewed = await post(sessionUrl(), COOKIE_REFRESH, {}, { ...BROWSER, ...cookieHeader(first) });
    expect(renewed.errors).toBeUndefined();
    expect(renewed.data!.refreshSession).toMatchObject({ refreshToken: null, user: { id: user.id } });
    const second = refreshCookie(renewed.headers).value;
    expect(second).not.toBe(first);
    const me = await post(stack.routerUrl, '{ me { id } }', {}, { authorization: `Bearer ${renewed.data!.refreshSession.accessToken}` });
    expect(me.data).toEqual({ me: { id: user.id } });

    // The second cookie is used; the first one again is reuse: the whole session ends, and the cookie is cleared.
    const third = refreshCookie((await post(sessionUrl(), COOKIE_REFRESH, {}, { ...BROWSER, ...cookieHeader(second) })).headers).value;
    const reused = await post(sessionUrl(), COOKIE_REFRESH, {}, { ...BROWSER, ...cookieHeader(first) });
    expect(reused.status).toBe(401);
    expect(reused.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect(refreshCookie(reused.headers)).toEqual({ value: '', attributes: expect.arrayContaining(['Max-Age=0', 'Path=/graphql/session']) });
    const after = await post(sessionUrl(), COOKIE_REFRESH, {}, { ...BROWSER, ...cookieHeader(third) });
    expect(after.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  test('the cookie counts only on the session path: on /graphql it is not read', async () => {
    const user = await signUp(stack);
    const signedIn = await post(stack.routerUrl, LOG_IN_BROWSER, { email: user.email, password: user.password }, BROWSER);
    const token = refreshCookie(signedIn.headers).value;
    const elsewhere = await post(stack.routerUrl, COOKIE_REFRESH, {}, { ...BROWSER, ...cookieHeader(token) });
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.errors![0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringContaining('session cookie is missing') });
    // Still good on its own path (the refusal above never reached it).
    expect((await post(sessionUrl(), COOKIE_REFRESH, {}, { ...BROWSER, ...cookieHeader(token) })).data!.refreshSession.user.id).toBe(user.id);
  });

  test('a refresh with no cookie and no argument is UNAUTHENTICATED with a clear message, browser or not', async () => {
    const browser = await post(sessionUrl(), COOKIE_REFRESH, {}, BROWSER);
    expect(browser.status).toBe(401);
    expect(browser.errors![0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: 'There is no session to refresh: the session cookie is missing or has expired. Sign in again.' });
    const api = await post(stack.routerUrl, COOKIE_REFRESH, {});
    expect(api.status).toBe(401);
    expect(api.errors![0].message).toBe('Pass the refreshToken that signUp, logIn or the last refreshSession returned.');
    expect(api.headers.get('set-cookie')).toBeNull();
  });

  test('a client sending the internal headers itself gets nothing from them', async () => {
    const user = await signUp(stack);
    // As if it were the router handing auth a cookie's token: the router builds auth's request anew.
    const forged = await post(sessionUrl(), COOKIE_REFRESH, {}, { 'x-router-refresh-token': user.refreshToken, 'x-router-browser-session': '1' });
    expect(forged.status).toBe(401);
    expect(forged.errors![0].message).toBe('Pass the refreshToken that signUp, logIn or the last refreshSession returned.');
    // And auth's answer headers never reach the client; the body keeps the API client's token.
    const api = await post(stack.routerUrl, REFRESH, { token: user.refreshToken }, { 'x-router-browser-session': '1' });
    expect(api.data!.refreshSession.refreshToken).toEqual(expect.any(String));
    for (const name of ['set-cookie', 'x-router-issued-refresh-token', 'x-router-issued-refresh-token-max-age', 'x-router-clear-refresh-token']) {
      expect(api.headers.get(name)).toBeNull();
    }
  });

  test('logOut and logOutEverywhere clear the cookie; the cleared session cannot be refreshed', async () => {
    for (const mutation of ['logOut', 'logOutEverywhere']) {
      const user = await signUp(stack);
      const signedIn = await post(stack.routerUrl, LOG_IN_BROWSER, { email: user.email, password: user.password }, BROWSER);
      const token = refreshCookie(signedIn.headers).value;
      const out = await post(stack.routerUrl, `mutation { ${mutation} }`, {}, { ...BROWSER, authorization: `Bearer ${signedIn.data!.logIn.accessToken}` });
      expect(out.data).toEqual({ [mutation]: true });
      expect(refreshCookie(out.headers)).toEqual({ value: '', attributes: expect.arrayContaining(['Max-Age=0', 'Path=/graphql/session', 'HttpOnly', 'SameSite=Strict']) });
      expect((await post(sessionUrl(), COOKIE_REFRESH, {}, { ...BROWSER, ...cookieHeader(token) })).status).toBe(401);
    }
  });

  test('signUp sets the cookie too; an API client without the opt-in gets its refresh token in the body and no cookie', async () => {
    const input = { email: uniqueEmail('cookie'), password: 'correct horse 42', nickname: 'Cookie' };
    const browser = await post(stack.routerUrl, 'mutation($input: SignUpInput!) { signUp(input: $input) { refreshToken user { id } } }', { input }, BROWSER);
    expect(browser.data!.signUp.refreshToken).toBeNull();
    expect(refreshCookie(browser.headers).value).toMatch(/^[\w-]{20,}$/);

    const api = await post(stack.routerUrl, LOG_IN, { email: input.email, password: input.password });
    expect(api.data!.logIn.refreshToken).toEqual(expect.any(String));
    expect(api.headers.get('set-cookie')).toBeNull();
    // Its token works as before, on either path.
    expect((await post(sessionUrl(), REFRESH, { token: api.data!.logIn.refreshToken })).data!.refreshSession.refreshToken).toEqual(expect.any(String));
  });

  test('behind the trusted proxy (TRUST_PROXY_HOPS=1), a cookie served over https is Secure', async () => {
    const user = await signUp(stack);
    const https = await post(stack.routerUrl, LOG_IN_BROWSER, { email: user.email, password: user.password }, { ...BROWSER, 'x-forwarded-proto': 'https' });
    expect(refreshCookie(https.headers).attributes).toContain('Secure');
    const http = await post(stack.routerUrl, LOG_IN_BROWSER, { email: user.email, password: user.password }, { ...BROWSER, 'x-forwarded-proto': 'http' });
    expect(refreshCookie(http.headers).attributes).not.toContain('Secure');
  });
});
