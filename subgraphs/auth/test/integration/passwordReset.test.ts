import { codeOf, startAuthHarness, uniqueEmail, type AuthHarness } from '../helpers/harness';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(() => h?.close());

const REQUEST = 'mutation($email: String!) { requestPasswordReset(email: $email) }';
const RESET = 'mutation($email: String!, $code: String!, $next: String!) { resetPassword(email: $email, code: $code, newPassword: $next) }';

async function requestCode(harness: AuthHarness, email: string): Promise<string> {
  const before = harness.mail.length;
  const response = await harness.call(REQUEST, { email }, harness.trusted);
  expect(response.data).toEqual({ requestPasswordReset: true });
  expect(JSON.stringify(response)).not.toMatch(/\d{6}/);
  const mail = harness.mail.slice(before);
  expect(mail).toHaveLength(1);
  return /\b(\d{6})\b/.exec(mail[0].text)![1];
}

const reset = (harness: AuthHarness, email: string, code: string, next = 'brand new 77') =>
  harness.call(RESET, { email, code, next }, harness.trusted);
const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');

describe('requestPasswordReset', () => {
  test('answers true for an unknown email too, sending nothing', async () => {
    const before = h.mail.length;
    expect((await h.call(REQUEST, { email: uniqueEmail('nobody') }, h.trusted)).data).toEqual({ requestPasswordReset: true });
    expect(h.mail).toHaveLength(before);
  });

  test('mails a 6-digit code to the account address', async () => {
    const user = await h.signUp();
    await requestCode(h, `  ${user.email.toUpperCase()} `);
    expect(h.mail[h.mail.length - 1]).toMatchObject({ to: user.email, subject: expect.stringMatching(/reset code/) });
  });

  test('refuses something that is not an email', async () => {
    const response = await h.call(REQUEST, { email: 'nope' }, h.trusted);
    expect(response.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
  });
});

describe('resetPassword', () => {
  test('a wrong code is refused; the right one sets the password once and ends every session', async () => {
    const user = await h.signUp();
    const code = await requestCode(h, user.email);
    const wrong = await reset(h, user.email, wrongCode(code));
    expect(wrong.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'code' });
    expect((await reset(h, user.email, code)).data).toEqual({ resetPassword: true });
    expect((await h.logIn(user.email, 'brand new 77')).errors).toBeUndefined();
    expect(codeOf(await h.logIn(user.email, user.password))).toBe('BAD_USER_INPUT');
    expect((await h.call('mutation { logOut }', {}, user.headers)).status).toBe(401);
    expect(codeOf(await reset(h, user.email, code, 'another one 88'))).toBe('BAD_USER_INPUT'); // single use
  });

  test('a new request replaces the earlier code', async () => {
    const user = await h.signUp();
    const first = await requestCode(h, user.email);
    const second = await requestCode(h, user.email);
    if (first !== second) expect(codeOf(await reset(h, user.email, first))).toBe('BAD_USER_INPUT');
    expect((await reset(h, user.email, second)).data).toEqual({ resetPassword: true });
  });

  test('five wrong guesses void the code', async () => {
    const user = await h.signUp();
    const code = await requestCode(h, user.email);
    for (let i = 0; i < 5; i++) expect(codeOf(await reset(h, user.email, wrongCode(code)))).toBe('BAD_USER_INPUT');
    expect(codeOf(await reset(h, user.email, code))).toBe('BAD_USER_INPUT');
  });

  test('checks the new password first, without spending a guess', async () => {
    const user = await h.signUp();
    const code = await requestCode(h, user.email);
    const weak = await reset(h, user.email, code, 'weak');
    expect(weak.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    expect((await reset(h, user.email, code)).data).toEqual({ resetPassword: true });
  });

  test('lifts a sign-in lockout', async () => {
    const user = await h.signUp();
    for (let i = 0; i < 5; i++) await h.logIn(user.email, `wrong password ${i}`);
    expect(codeOf(await h.logIn(user.email, user.password))).toBe('RATE_LIMITED');
    expect((await reset(h, user.email, await requestCode(h, user.email))).data).toEqual({ resetPassword: true });
    expect((await h.logIn(user.email, 'brand new 77')).errors).toBeUndefined();
  });

  test('an unknown email gets the same answer as a wrong code', async () => {
    const response = await reset(h, uniqueEmail('nobody'), '123456');
    expect(response.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'code' }, message: expect.stringMatching(/wrong, used or expired/) });
  });
});

describe('reset code lifetime', () => {
  let short: AuthHarness;
  beforeAll(async () => {
    short = await startAuthHarness({ env: { RESET_CODE_TTL: '1s' } });
  });
  afterAll(() => short?.close());

  test('an expired code is refused', async () => {
    const user = await short.signUp();
    const code = await requestCode(short, user.email);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(codeOf(await reset(short, user.email, code))).toBe('BAD_USER_INPUT');
  });
});
