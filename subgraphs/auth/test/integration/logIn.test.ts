import { codeOf, startAuthHarness, uniqueEmail, type AuthHarness } from '../helpers/harness';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(() => h?.close());

describe('logIn', () => {
  test('signs in with the email in any case and records lastLoginAt', async () => {
    const user = await h.signUp();
    const response = await h.logIn(`  ${user.email.toUpperCase()}`, user.password);
    expect(response.errors).toBeUndefined();
    expect(response.data!.logIn.user).toMatchObject({ id: user.id, email: user.email, roles: ['USER'] });
    expect(Date.now() - Date.parse(response.data!.logIn.user.lastLoginAt)).toBeLessThan(5000);
  });

  test('a wrong password and an unknown email get the same answer: UNAUTHENTICATED, naming no field', async () => {
    const user = await h.signUp();
    const wrongPassword = await h.logIn(user.email, 'wrong password 1');
    const unknownEmail = await h.logIn(uniqueEmail('nobody'), user.password);
    const absurdEmail = await h.logIn(`${'x'.repeat(400)}@example.com`, user.password);
    for (const response of [wrongPassword, unknownEmail, absurdEmail]) {
      expect(response.data).toBeNull();
      expect(response.errors).toEqual([
        expect.objectContaining({ message: 'Wrong email or password.', extensions: { code: 'UNAUTHENTICATED' } }),
      ]);
    }
  });

  test('after 5 wrong passwords the account is locked for 15 minutes, even for the right password', async () => {
    const user = await h.signUp();
    for (let i = 0; i < 5; i++) expect(codeOf(await h.logIn(user.email, `wrong password ${i}`))).toBe('UNAUTHENTICATED');
    const locked = await h.logIn(user.email, user.password);
    expect(codeOf(locked)).toBe('RATE_LIMITED');
    expect(locked.errors![0].extensions!.retryAfter).toBeGreaterThan(890);
    expect(locked.errors![0].extensions!.retryAfter).toBeLessThanOrEqual(900);
    expect(locked.errors![0].message).toMatch(/Try again in 15 minute/);
  });

  test('an unknown email is locked the same way, so the answer tells nothing', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++) expect(codeOf(await h.logIn(email, `wrong password ${i}`))).toBe('UNAUTHENTICATED');
    const locked = await h.logIn(email, 'anything 1');
    expect(locked.errors![0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) } });
    expect(locked.errors![0].message).toMatch(/Too many wrong passwords or reset codes/);
  });

  test('concurrent guesses cannot get past the limit', async () => {
    const user = await h.signUp();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => h.logIn(user.email, `parallel guess ${i}`)));
    const checked = answers.filter((response) => codeOf(response) === 'UNAUTHENTICATED');
    expect(checked.length).toBeLessThanOrEqual(5);
    expect(answers.filter((response) => codeOf(response) === 'RATE_LIMITED')).toHaveLength(12 - checked.length);
  });

  test('a suspended account hears FORBIDDEN only after the right password', async () => {
    const user = await h.signUp();
    await h.announceStatus(user.id, 'SUSPENDED');
    expect(codeOf(await h.logIn(user.email, 'wrong password 1'))).toBe('UNAUTHENTICATED');
    const right = await h.logIn(user.email, user.password);
    expect(codeOf(right)).toBe('FORBIDDEN');
    expect(right.errors![0].message).toMatch(/suspended/);
  });
});

describe('lockout window', () => {
  let short: AuthHarness;
  beforeAll(async () => {
    short = await startAuthHarness({ env: { LOGIN_LOCKOUT_ATTEMPTS: '2', LOGIN_LOCKOUT_WINDOW: '2s' } });
  });
  afterAll(() => short?.close());

  test('the lock lifts once the window has passed since the last failure', async () => {
    const user = await short.signUp();
    await short.logIn(user.email, 'wrong password 1');
    await short.logIn(user.email, 'wrong password 2');
    expect(codeOf(await short.logIn(user.email, user.password))).toBe('RATE_LIMITED');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await short.logIn(user.email, user.password)).errors).toBeUndefined();
  });
});
