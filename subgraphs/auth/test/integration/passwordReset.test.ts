import { codeOf, startAuthHarness, uniqueEmail, type AuthHarness } from '../helpers/harness';
import { startSmtpServer, waitForMail, type TestSmtpServer } from '../helpers/mail';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(() => h?.close());

const REQUEST = 'mutation($email: String!) { requestPasswordReset(email: $email) }';
const RESET = 'mutation($email: String!, $code: String!, $next: String!) { resetPassword(email: $email, code: $code, newPassword: $next) }';

const request = async (harness: AuthHarness, email: string) => {
  const response = await harness.call(REQUEST, { email }, harness.trusted);
  expect(response.data).toEqual({ requestPasswordReset: true });
  expect(JSON.stringify(response)).not.toMatch(/\d{6}/);
};

/** Asks for a code for `email` (typed as `typed`) and reads it from the mail, which arrives after the answer. */
async function requestCode(harness: AuthHarness, email: string, typed = email): Promise<string> {
  const before = harness.mail.filter((message) => message.to === email).length;
  await request(harness, typed);
  const mail = await waitForMail(harness.mail, email, before + 1);
  expect(mail).toHaveLength(before + 1);
  return /\b(\d{6})\b/.exec(mail[before].text)![1];
}

const reset = (harness: AuthHarness, email: string, code: string, next = 'brand new 77') =>
  harness.call(RESET, { email, code, next }, harness.trusted);
const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');
/** Long enough for a mail that is coming to arrive: used to show that none does. */
const QUIET_MS = 500;

describe('requestPasswordReset', () => {
  test('answers true for an unknown email too, sending nothing', async () => {
    const email = uniqueEmail('nobody');
    await request(h, email);
    expect(await waitForMail(h.mail, email, 1, QUIET_MS)).toHaveLength(0);
  });

  test('mails a 6-digit code to the account address', async () => {
    const user = await h.signUp();
    await requestCode(h, user.email, `  ${user.email.toUpperCase()} `);
    expect(h.mail.filter((message) => message.to === user.email)).toEqual([
      { to: user.email, subject: expect.stringMatching(/reset code/), text: expect.stringMatching(/\b\d{6}\b/) },
    ]);
  });

  test('refuses something that is not an email', async () => {
    const response = await h.call(REQUEST, { email: 'nope' }, h.trusted);
    expect(response.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
  });

  test('sends at most 3 codes per 15 minutes: a 4th request answers true, sends nothing and leaves the 3rd code valid', async () => {
    const user = await h.signUp();
    const codes = [await requestCode(h, user.email), await requestCode(h, user.email), await requestCode(h, user.email)];
    await request(h, user.email);
    expect(await waitForMail(h.mail, user.email, 4, QUIET_MS)).toHaveLength(3);
    expect((await reset(h, user.email, codes[2])).data).toEqual({ resetPassword: true });
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
    expect(codeOf(await h.logIn(user.email, user.password))).toBe('UNAUTHENTICATED');
    expect((await h.call('mutation { logOut }', {}, user.headers)).status).toBe(401);
    expect(codeOf(await reset(h, user.email, code, 'another one 88'))).toBe('BAD_USER_INPUT'); // single use
  });

  test('a new request voids the earlier code', async () => {
    const user = await h.signUp();
    const first = await requestCode(h, user.email);
    const second = await requestCode(h, user.email);
    if (first !== second) expect(codeOf(await reset(h, user.email, first))).toBe('BAD_USER_INPUT');
    expect((await reset(h, user.email, second)).data).toEqual({ resetPassword: true });
  });

  test('wrong codes count toward the sign-in lockout: after 5, resetPassword and logIn are RATE_LIMITED', async () => {
    const user = await h.signUp();
    const code = await requestCode(h, user.email);
    for (let i = 0; i < 5; i++) expect(codeOf(await reset(h, user.email, wrongCode(code)))).toBe('BAD_USER_INPUT');
    const locked = await reset(h, user.email, code);
    expect(locked.errors![0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) } });
    expect(locked.errors![0].message).toMatch(/Too many wrong passwords or reset codes/);
    expect(codeOf(await h.logIn(user.email, user.password))).toBe('RATE_LIMITED');
  });

  test('a sign-in lockout refuses resetPassword too, even with the right code', async () => {
    const user = await h.signUp();
    for (let i = 0; i < 5; i++) expect(codeOf(await h.logIn(user.email, `wrong password ${i}`))).toBe('UNAUTHENTICATED');
    const code = await requestCode(h, user.email);
    expect(codeOf(await reset(h, user.email, code))).toBe('RATE_LIMITED');
  });

  test('a successful reset clears the failures counted so far', async () => {
    const user = await h.signUp();
    for (let i = 0; i < 4; i++) await h.logIn(user.email, `wrong password ${i}`);
    expect((await reset(h, user.email, await requestCode(h, user.email))).data).toEqual({ resetPassword: true });
    for (let i = 0; i < 4; i++) expect(codeOf(await h.logIn(user.email, `wrong again ${i}`))).toBe('UNAUTHENTICATED');
    expect((await h.logIn(user.email, 'brand new 77')).errors).toBeUndefined();
  });

  test('five guesses void the code, even when a sign-in in between cleared the failure count', async () => {
    const user = await h.signUp();
    const code = await requestCode(h, user.email);
    for (let i = 0; i < 4; i++) expect(codeOf(await reset(h, user.email, wrongCode(code)))).toBe('BAD_USER_INPUT');
    expect((await h.logIn(user.email, user.password)).errors).toBeUndefined();
    expect(codeOf(await reset(h, user.email, wrongCode(code)))).toBe('BAD_USER_INPUT');
    expect(codeOf(await reset(h, user.email, code))).toBe('BAD_USER_INPUT');
  });

  test('checks the new password first, without spending a guess', async () => {
    const user = await h.signUp();
    const code = await requestCode(h, user.email);
    const weak = await reset(h, user.email, code, 'weak');
    expect(weak.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    expect((await reset(h, user.email, code)).data).toEqual({ resetPassword: true });
  });

  test('an unknown email gets the same answer as a wrong code', async () => {
    for (const email of [uniqueEmail('nobody'), `${'x'.repeat(400)}@example.com`]) {
      const response = await reset(h, email, '123456');
      expect(response.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'code' }, message: expect.stringMatching(/wrong, used or expired/) });
    }
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

describe('with MAIL_TRANSPORT=smtp', () => {
  let smtp: TestSmtpServer;
  let mailed: AuthHarness;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    mailed = await startAuthHarness({
      mailer: 'from config',
      env: { MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url, MAIL_FROM: 'DoranDoran Test <reset@example.test>' },
    });
  });
  afterAll(async () => {
    await mailed?.close();
    await smtp?.close();
  });

  test('the code arrives at the account address, from MAIL_FROM, and resets the password', async () => {
    const user = await mailed.signUp();
    await request(mailed, user.email);
    const [mail] = await waitForMail(smtp.received, user.email);
    expect(mail).toMatchObject({ from: 'reset@example.test', to: user.email });
    expect(mail.raw).toMatch(/^From: DoranDoran Test <reset@example\.test>\r$/m);
    const code = /reset code is (\d{6})\./.exec(mail.raw)![1];
    expect((await reset(mailed, user.email, code)).data).toEqual({ resetPassword: true });
  });

  test('the answer does not wait for the mail: a stuck server delays only the mail', async () => {
    const user = await mailed.signUp();
    const release = smtp.stall();
    try {
      const timedOut = new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), 3000).unref());
      const answered = mailed.call(REQUEST, { email: user.email }, mailed.trusted).then((response) => response.data);
      expect(await Promise.race([answered, timedOut])).toEqual({ requestPasswordReset: true });
      expect(await waitForMail(smtp.received, user.email, 1, QUIET_MS)).toHaveLength(0);
    } finally {
      release();
    }
    expect(await waitForMail(smtp.received, user.email)).toHaveLength(1);
  });
});
