import { decodeJwt } from 'jose';
import { bearer } from '@dorandoran/test-support/graphql';
import { codeOf, REFRESH, startAuthHarness, type AuthHarness, type SignedIn } from '../helpers/harness';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(() => h?.close());

const refresh = (token: string) => h.call(REFRESH, { token }, h.trusted);
/** Any request with the token: the subgraph verifies it before anything else. */
const entities = (user: Pick<SignedIn, 'id'>, headers: Record<string, string>) =>
  h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }', { r: [{ __typename: 'User', id: user.id }] }, headers);
const accepted = async (user: SignedIn, accessToken: string) => (await entities(user, bearer(accessToken))).status === 200;

async function secondSession(user: SignedIn): Promise<SignedIn> {
  const { accessToken, refreshToken } = (await h.logIn(user.email, user.password)).data!.logIn;
  return { ...user, accessToken, refreshToken, headers: bearer(accessToken) };
}

describe('refreshSession', () => {
  test('rotates: a new pair for the same session, the old access token still valid until it expires', async () => {
    const user = await h.signUp();
    const response = await refresh(user.refreshToken);
    expect(response.errors).toBeUndefined();
    const next = response.data!.refreshSession;
    expect(next.refreshToken).not.toBe(user.refreshToken);
    expect(next.user.id).toBe(user.id);
    expect(decodeJwt(next.accessToken).sid).toBe(decodeJwt(user.accessToken).sid);
    expect(await accepted(user, next.accessToken)).toBe(true);
    expect(await accepted(user, user.accessToken)).toBe(true);
    expect((await refresh(next.refreshToken)).errors).toBeUndefined();
  });

  test('reusing a rotated token whose successor was used ends the session: the newest refresh token and the access tokens are refused', async () => {
    const user = await h.signUp();
    const next = (await refresh(user.refreshToken)).data!.refreshSession;
    const newest = (await refresh(next.refreshToken)).data!.refreshSession;
    const reused = await refresh(user.refreshToken);
    expect(codeOf(reused)).toBe('UNAUTHENTICATED');
    expect(reused.errors![0].message).toMatch(/already used/);
    expect(codeOf(await refresh(newest.refreshToken))).toBe('UNAUTHENTICATED');
    const refused = await entities(user, bearer(newest.accessToken));
    expect(refused.status).toBe(401);
    expect(codeOf(refused)).toBe('UNAUTHENTICATED');
  });

  test('a used token presented again before its successor is used (the answer was lost) gets a new pair; the first used of them retires the other', async () => {
    const user = await h.signUp();
    const lost = (await refresh(user.refreshToken)).data!.refreshSession;
    const again = await refresh(user.refreshToken);
    expect(again.errors).toBeUndefined();
    const kept = again.data!.refreshSession;
    expect(kept.refreshToken).not.toBe(lost.refreshToken);
    expect(decodeJwt(kept.accessToken).sid).toBe(decodeJwt(user.accessToken).sid);
    expect(await accepted(user, kept.accessToken)).toBe(true);

    const renewed = await refresh(kept.refreshToken);
    expect(renewed.errors).toBeUndefined();
    // The lost answer's token turning up after all is reuse: the session ends.
    const late = await refresh(lost.refreshToken);
    expect(late.errors![0].message).toMatch(/already used/);
    expect(codeOf(await refresh(renewed.data!.refreshSession.refreshToken))).toBe('UNAUTHENTICATED');
  });

  test('of concurrent refreshes with one token, each answers; once one of the new tokens is used, another is reuse', async () => {
    const user = await h.signUp();
    const answers = await Promise.all(Array.from({ length: 5 }, () => refresh(user.refreshToken)));
    expect(answers.map((response) => response.errors)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    const tokens = answers.map((response) => response.data!.refreshSession.refreshToken);
    expect(new Set(tokens).size).toBe(5);
    expect((await refresh(tokens[3])).errors).toBeUndefined();
    expect((await refresh(tokens[1])).errors![0].message).toMatch(/already used/);
  });

  test('an unknown token is refused', async () => {
    const response = await refresh('not-a-token');
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.errors![0].message).toMatch(/not valid or has expired/);
  });

  test('is refused for a suspended account', async () => {
    const user = await h.signUp();
    await h.announceStatus(user.id, 'SUSPENDED');
    expect(codeOf(await refresh(user.refreshToken))).toBe('UNAUTHENTICATED'); // the session was deleted with the suspension
  });

  test('is refused for a session older than a user-wide revocation (as a suspension leaves)', async () => {
    const user = await h.signUp();
    await new Promise((resolve) => setTimeout(resolve, 1000)); // revocations have one-second resolution
    await h.revocations.revokeUser(user.id, 60);
    const response = await refresh(user.refreshToken);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.errors![0].message).toMatch(/session has ended/);
    await h.revocations.restoreUser(user.id);
    expect(codeOf(await refresh(user.refreshToken))).toBe('UNAUTHENTICATED'); // and the session is gone
  });
});

describe('logOut and logOutEverywhere', () => {
  test('logOut ends this session only: its tokens are refused with 401, another session keeps working', async () => {
    const user = await h.signUp();
    const other = await secondSession(user);
    expect((await h.call('mutation { logOut }', {}, user.headers)).data).toEqual({ logOut: true });
    const refused = await entities(user, user.headers);
    expect(refused.status).toBe(401);
    expect(refused.errors![0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringMatching(/revoked/) });
    expect(codeOf(await refresh(user.refreshToken))).toBe('UNAUTHENTICATED');
    expect(await accepted(other, other.accessToken)).toBe(true);
  });

  test('logOut needs a signed-in caller', async () => {
    const response = await h.call('mutation { logOut }', {}, h.trusted);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
  });

  test('logOutEverywhere ends every session of the caller', async () => {
    const user = await h.signUp();
    const other = await secondSession(user);
    expect((await h.call('mutation { logOutEverywhere }', {}, user.headers)).data).toEqual({ logOutEverywhere: true });
    for (const session of [user, other]) {
      expect(await accepted(session, session.accessToken)).toBe(false);
      expect(codeOf(await refresh(session.refreshToken))).toBe('UNAUTHENTICATED');
    }
  });
});

describe('changePassword', () => {
  const CHANGE = 'mutation($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }';

  test('checks the current password and the new one, naming the field', async () => {
    const user = await h.signUp();
    const wrong = await h.call(CHANGE, { current: 'wrong password 1', next: 'new password 2' }, user.headers);
    expect(wrong.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    const weak = await h.call(CHANGE, { current: user.password, next: 'weak' }, user.headers);
    expect(weak.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'newPassword' });
  });

  test('changes the password and ends the other sessions, keeping this one', async () => {
    const user = await h.signUp();
    const other = await secondSession(user);
    const changed = await h.call(CHANGE, { current: user.password, next: 'new password 2' }, user.headers);
    expect(changed.data).toEqual({ changePassword: true });
    expect(await accepted(user, user.accessToken)).toBe(true);
    expect(await accepted(other, other.accessToken)).toBe(false);
    expect(codeOf(await refresh(other.refreshToken))).toBe('UNAUTHENTICATED');
    expect(codeOf(await h.logIn(user.email, user.password))).toBe('UNAUTHENTICATED');
    expect((await h.logIn(user.email, 'new password 2')).errors).toBeUndefined();
  });
});

describe('the reuse grace', () => {
  let quick: AuthHarness;
  beforeAll(async () => {
    quick = await startAuthHarness({ env: { REFRESH_TOKEN_REUSE_GRACE: '1s' } });
  });
  afterAll(() => quick?.close());

  test('a used token presented after the grace ends the session, though its successor was never used', async () => {
    const user = await quick.signUp();
    const next = (await quick.call(REFRESH, { token: user.refreshToken }, quick.trusted)).data!.refreshSession;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const reused = await quick.call(REFRESH, { token: user.refreshToken }, quick.trusted);
    expect(reused.errors![0].message).toMatch(/already used/);
    expect(codeOf(await quick.call(REFRESH, { token: next.refreshToken }, quick.trusted))).toBe('UNAUTHENTICATED');
  });
});

describe('refresh token lifetime', () => {
  let short: AuthHarness;
  beforeAll(async () => {
    short = await startAuthHarness({ env: { REFRESH_TOKEN_TTL: '1s' } });
  });
  afterAll(() => short?.close());

  test('an expired refresh token is refused', async () => {
    const user = await short.signUp();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const response = await short.call(REFRESH, { token: user.refreshToken }, short.trusted);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.errors![0].message).toMatch(/expired/);
  });
});
