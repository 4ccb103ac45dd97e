import { decodeJwt, decodeProtectedHeader } from 'jose';
import { codeOf, SIGN_UP, startAuthHarness, uniqueEmail, type AuthHarness } from '../helpers/harness';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(() => h?.close());

const signUp = (input: Record<string, unknown>) =>
  h.call(SIGN_UP, { input: { email: uniqueEmail(), password: 'abcdefg1', nickname: 'Jun', ...input } }, h.trusted);

describe('signUp', () => {
  test('creates the account and its profile, and returns a signed-in session', async () => {
    const email = uniqueEmail('New');
    const response = await signUp({ email: `  ${email.toUpperCase()} ` });
    expect(response.errors).toBeUndefined();
    const { accessToken, refreshToken, expiresIn, user } = response.data!.signUp;
    expect(user).toEqual({ id: expect.any(String), email: email.toLowerCase(), roles: ['USER'], lastLoginAt: expect.any(String) });
    expect(expiresIn).toBe(900);
    expect(refreshToken).toMatch(/^[\w-]{43}$/);
    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({ sub: user.id, scope: 'user', iss: 'dorandoran-auth', aud: 'dorandoran' });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(typeof claims.jti).toBe('string');
    expect(typeof claims.sid).toBe('string');
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
  });

  test.each([
    ['email', { email: 'not-an-email' }],
    ['email', { email: 'a@b' }],
    ['password', { password: 'short1' }],
    ['password', { password: 'onlyletters' }],
    ['password', { password: '1234567890' }],
  ])('refuses a bad %s with BAD_USER_INPUT naming it (%j)', async (field, input) => {
    const response = await signUp(input);
    expect(response.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  test('refuses an email that already has an account, whatever its case, with CONFLICT', async () => {
    const email = uniqueEmail('Dup');
    expect((await signUp({ email })).errors).toBeUndefined();
    const again = await signUp({ email: email.toUpperCase() });
    expect(codeOf(again)).toBe('CONFLICT');
    expect(again.errors![0].message).toMatch(/already exists/);
  });

  test('passes on the users subgraph refusal (field included) and leaves no account behind', async () => {
    const email = uniqueEmail('Nick');
    const refused = await signUp({ email, nickname: 'x' });
    expect(refused.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'nickname' });
    expect(refused.errors![0].message).toMatch(/nickname/);
    // The account was rolled back: the same email signs up, and the earlier password was never stored.
    expect(codeOf(await h.logIn(email, 'abcdefg1'))).toBe('UNAUTHENTICATED');
    expect((await signUp({ email })).errors).toBeUndefined();
  });
});

describe('signUp with the users subgraph down', () => {
  let down: AuthHarness;
  beforeAll(async () => {
    down = await startAuthHarness({ users: 'down' });
  });
  afterAll(() => down?.close());

  test('answers SERVICE_UNAVAILABLE and keeps nothing', async () => {
    const email = uniqueEmail('Down');
    const input = { email, password: 'abcdefg1', nickname: 'Jun' };
    const response = await down.call(SIGN_UP, { input }, down.trusted);
    expect(codeOf(response)).toBe('SERVICE_UNAVAILABLE');
    expect(response.errors![0].message).toMatch(/users service did not answer.*Nothing was saved/);
    expect(codeOf(await down.logIn(email, 'abcdefg1'))).toBe('UNAUTHENTICATED');
  });
});
