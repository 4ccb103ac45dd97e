import { decodeJwt } from 'jose';
import { codeOf, startAuthHarness, type AuthHarness, type SignedIn } from '../helpers/harness';

let h: AuthHarness;
let admin: SignedIn;
beforeAll(async () => {
  h = await startAuthHarness();
  admin = await h.signUpAdmin();
});
afterAll(() => h?.close());

const SET_ROLES = 'mutation($id: ID!, $roles: [Role!]!) { setUserRoles(userId: $id, roles: $roles) { id roles } }';
const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email roles lastLoginAt } } }';
const users = (...ids: string[]) => ({ r: ids.map((id) => ({ __typename: 'User', id })) });

describe('User entity (_entities, as the router fetches User fields from auth)', () => {
  test('resolves accounts in order with shield applied, null for an unknown id', async () => {
    const [a, b] = [await h.signUp(), await h.signUp()];
    const response = await h.call(ENTITIES, users(b.id, '01234567-89ab-7def-8123-456789abcdef', a.id, 'not-a-uuid'), admin.headers);
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([
      { id: b.id, email: b.email, roles: ['USER'], lastLoginAt: expect.any(String) },
      null,
      { id: a.id, email: a.email, roles: ['USER'], lastLoginAt: expect.any(String) },
      null,
    ]);
  });

  test('roles and lastLoginAt are for the user themself and admins: others get FORBIDDEN for roles, null for lastLoginAt', async () => {
    const [owner, other] = [await h.signUp(), await h.signUp()];
    const read = (headers: Record<string, string>) => h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { roles } } }', users(owner.id), headers);
    expect((await read(owner.headers)).data!._entities).toEqual([{ roles: ['USER'] }]);
    expect((await read(admin.headers)).data!._entities).toEqual([{ roles: ['USER'] }]);
    for (const headers of [other.headers, h.trusted]) {
      const refused = await read(headers);
      expect(refused.data!._entities).toEqual([null]);
      expect(refused.errors![0].extensions!.code).toBe('FORBIDDEN');
      expect(refused.errors![0].message).toMatch(/roles/);
    }
    const lastLogin = async (headers: Record<string, string>) =>
      (await h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { lastLoginAt } } }', users(owner.id), headers)).data!._entities[0].lastLoginAt;
    expect(await lastLogin(owner.headers)).toEqual(expect.any(String));
    expect(await lastLogin(admin.headers)).toEqual(expect.any(String));
    expect(await lastLogin(other.headers)).toBeNull();
  });

  test('email is shown to the user themself and to admins, null for anyone else', async () => {
    const [owner, other] = [await h.signUp(), await h.signUp()];
    const email = async (headers: Record<string, string>) =>
      (await h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }', users(owner.id), headers)).data!._entities[0].email;
    expect(await email(owner.headers)).toBe(owner.email);
    expect(await email(admin.headers)).toBe(owner.email);
    expect(await email(other.headers)).toBeNull();
    expect(await email(h.trusted)).toBeNull();
  });
});

describe('setUserRoles', () => {
  test('is refused to a user calling the subgraph directly, and to a caller without a token', async () => {
    const [user, target] = [await h.signUp(), await h.signUp()];
    const asUser = await h.call(SET_ROLES, { id: target.id, roles: ['ADMIN'] }, user.headers);
    expect(codeOf(asUser)).toBe('FORBIDDEN');
    expect(asUser.data).toBeNull();
    expect(codeOf(await h.call(SET_ROLES, { id: target.id, roles: ['ADMIN'] }, h.trusted))).toBe('UNAUTHENTICATED');
  });

  test('demoting the last administrator is a CONFLICT', async () => {
    const response = await h.call(SET_ROLES, { id: admin.id, roles: ['USER'] }, admin.headers);
    expect(codeOf(response)).toBe('CONFLICT');
    expect(response.errors![0].message).toMatch(/last administrator/);
  });

  test('always keeps USER; the new scope arrives with the next sign-in', async () => {
    const user = await h.signUp();
    const promoted = await h.call(SET_ROLES, { id: user.id, roles: ['ADMIN'] }, admin.headers);
    expect(promoted.data!.setUserRoles).toEqual({ id: user.id, roles: ['USER', 'ADMIN'] });
    const token = (await h.logIn(user.email, user.password)).data!.logIn.accessToken;
    expect(decodeJwt(token).scope).toBe('user admin');
  });

  test('with another administrator left, demotion works and ends the demoted sessions', async () => {
    const second = await h.signUpAdmin();
    const demoted = await h.call(SET_ROLES, { id: second.id, roles: [] }, admin.headers);
    expect(demoted.data!.setUserRoles.roles).toEqual(['USER']);
    expect((await h.call(ENTITIES, users(second.id), second.headers)).status).toBe(401);
  });

  test('an unknown user is NOT_FOUND', async () => {
    for (const id of ['01234567-89ab-7def-8123-456789abcdef', 'nope']) {
      expect(codeOf(await h.call(SET_ROLES, { id, roles: ['USER'] }, admin.headers))).toBe('NOT_FOUND');
    }
  });
});

describe('account events from users', () => {
  test('there is no mutation to set an account status: only users, by its events, can', async () => {
    const user = await h.signUp();
    const refused = await h.call('mutation($id: ID!) { applyAccountStatus(userId: $id, status: DELETED) }', { id: user.id }, h.trusted);
    expect(codeOf(refused)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await h.logIn(user.email, user.password)).errors).toBeUndefined();
  });

  test('user.deleted: the token is refused, the email and password are gone, the address can sign up again', async () => {
    const user = await h.signUp();
    await h.announceStatus(user.id, 'DELETED');
    expect((await h.call(ENTITIES, users(user.id), user.headers)).status).toBe(401);
    expect(codeOf(await h.logIn(user.email, user.password))).toBe('UNAUTHENTICATED');
    expect((await h.call(ENTITIES, users(user.id), admin.headers)).data!._entities[0].email).toBeNull();
    await expect(h.signUp({ email: user.email })).resolves.toMatchObject({ email: user.email });
  });

  test('SUSPENDED refuses the tokens and sign-in with FORBIDDEN; ACTIVE lets the user back', async () => {
    const user = await h.signUp();
    await h.announceStatus(user.id, 'SUSPENDED');
    const refused = await h.call(ENTITIES, users(user.id), user.headers);
    expect(refused.status).toBe(401);
    expect(codeOf(await h.logIn(user.email, user.password))).toBe('FORBIDDEN');
    await h.announceStatus(user.id, 'ACTIVE');
    const again = await h.logIn(user.email, user.password);
    expect(again.errors).toBeUndefined();
    expect((await h.call(ENTITIES, users(user.id), { authorization: `Bearer ${again.data!.logIn.accessToken}` })).status).toBe(200);
  });

  test('an older event arriving after a newer one changes nothing, and a deletion is final', async () => {
    const user = await h.signUp();
    const now = Date.now();
    await h.announceStatus(user.id, 'SUSPENDED', new Date(now));
    await h.announceStatus(user.id, 'ACTIVE', new Date(now - 60_000)); // redelivered late
    expect(codeOf(await h.logIn(user.email, user.password))).toBe('FORBIDDEN');
    await h.announceStatus(user.id, 'DELETED', new Date(now + 1000));
    await h.announceStatus(user.id, 'ACTIVE', new Date(now + 2000));
    expect(codeOf(await h.logIn(user.email, user.password))).toBe('UNAUTHENTICATED');
  });

  test('an event about a user auth has no account for is applied as nothing', async () => {
    await expect(h.announceStatus('01234567-89ab-7def-8123-456789abcdef', 'SUSPENDED')).resolves.toBeUndefined();
  });
});
