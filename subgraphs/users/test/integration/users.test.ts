import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { createInProcessTransport, createLogger, createMemoryRevocationStore, type RunningService } from '@dorandoran/service-kit';
import { bearer, post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startTestIssuer, type TestIssuer } from '@dorandoran/test-support/issuer';
import { testDatabase } from '@dorandoran/test-support/infra';
import { loadUsersConfig } from '../../src/config';
import { startUsersService } from '../../src/service';

const SECRET = 'users-test-secret';
const trusted = { 'x-router-secret': SECRET };
/** What the router sends for a signed-in caller: the token and the router secret. */
const asRouter = (token: string) => ({ ...trusted, ...bearer(token) });
let issuer: TestIssuer;
let users: RunningService;

beforeAll(async () => {
  issuer = await startTestIssuer();
  const config = loadUsersConfig({
    USERS_PORT: '0',
    ROUTER_SECRET: SECRET,
    AUTH_JWKS_URL: issuer.jwksUrl,
    DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'users-test-')),
  });
  users = await startUsersService(config, {
    revocations: createMemoryRevocationStore(),
    events: createInProcessTransport(createLogger('users-test', 'silent')),
    logger: createLogger('users-test', 'silent'),
    database: testDatabase('users'),
  });
});
afterAll(async () => {
  await users?.close();
  await issuer?.close();
});

const CREATE = 'mutation($input: CreateProfileInput!) { createProfile(input: $input) { id nickname locale status } }';

async function createProfile(nickname: string, email = `${randomUUID()}@example.com`) {
  const id = uuidv7();
  const response = await post(users.url, CREATE, { input: { id, nickname, email } }, trusted);
  if (!response.data?.createProfile) throw new Error(JSON.stringify(response.errors));
  return { id, nickname, email };
}

describe('createProfile (internal, from auth)', () => {
  test('creates the profile with defaults; a retry with the same id returns it unchanged', async () => {
    const id = uuidv7();
    const input = { id, nickname: '  Dami  ', email: 'dami@example.com' };
    const first = await post(users.url, CREATE, { input }, trusted);
    expect(first.data!.createProfile).toEqual({ id, nickname: 'Dami', locale: 'ko-KR', status: 'ACTIVE' });
    const retry = await post(users.url, CREATE, { input: { ...input, nickname: 'Other' } }, trusted);
    expect(retry.data!.createProfile.nickname).toBe('Dami');
  });

  test('is refused to a signed-in user calling users directly, even for their own id', async () => {
    const id = uuidv7();
    const token = await issuer.sign({ sub: id });
    const response = await post(users.url, CREATE, { input: { id, nickname: 'Mallory', email: 'm@example.com' } }, bearer(token));
    expect(response.status).toBe(403);
    expect(response.errors![0].extensions!.code).toBe('ROUTER_SECRET_REQUIRED');
  });
});

describe('_entities (the router fetching User fields from users)', () => {
  test('FetchNode users: representations resolve in order, unknown and malformed ids to null', async () => {
    const a = await createProfile('Alpha');
    const b = await createProfile('Bravo');
    const representations = [b, { id: uuidv7() }, a, { id: 'not-a-uuid' }].map(({ id }) => ({ __typename: 'User', id }));
    const response = await post(
      users.url,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id nickname status } } }',
      { r: representations },
      trusted,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([
      { id: b.id, nickname: 'Bravo', status: 'ACTIVE' },
      null,
      { id: a.id, nickname: 'Alpha', status: 'ACTIVE' },
      null,
    ]);
  });
});

describe('tokens', () => {
  test('an expired token → 401 UNAUTHENTICATED saying to refresh', async () => {
    const me = await createProfile('Expired');
    const token = await issuer.sign({ sub: me.id, expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const response = await post(users.url, '{ me { id } }', {}, asRouter(token));
    expect(response.status).toBe(401);
    expect(response.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect(response.errors![0].message).toMatch(/expired.*refreshSession/);
  });

  test('a token from another issuer → 401', async () => {
    const token = await issuer.sign({ sub: uuidv7(), issuer: 'someone-else' });
    const response = await post(users.url, '{ me { id } }', {}, asRouter(token));
    expect(response.status).toBe(401);
  });
});

describe('users (admin)', () => {
  let adminToken: string;
  beforeAll(async () => {
    adminToken = await issuer.sign({ sub: uuidv7(), scope: 'user admin' });
  });

  test('pages through every matching user exactly once, newest first', async () => {
    const tag = randomUUID().slice(0, 6);
    const made = [];
    for (let i = 0; i < 25; i++) made.push(await createProfile(`pg${tag} ${i}`));
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const response: GraphQLResponse = await post(
        users.url,
        'query($after: String, $search: String) { users(first: 10, after: $after, search: $search) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }',
        { after, search: `pg${tag}` },
        asRouter(adminToken),
      );
      const connection = response.data!.users;
      expect(connection.totalCount).toBe(25);
      seen.push(...connection.edges.map((edge: { node: { id: string } }) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(made.map((user) => user.id).reverse());
  });

  test('search matches email too, and treats % and _ literally', async () => {
    const tag = randomUUID().slice(0, 8);
    const target = await createProfile('Findme', `find.${tag}@example.com`);
    await createProfile('Percent 100%');
    const byEmail = await post(users.url, 'query($s: String) { users(search: $s) { edges { node { id } } } }', { s: `FIND.${tag}` }, asRouter(adminToken));
    expect(byEmail.data!.users.edges).toEqual([{ node: { id: target.id } }]);
    const literal = await post(users.url, 'query { users(search: "%_%_%_%_%_%") { totalCount } }', {}, asRouter(adminToken));
    expect(literal.data!.users.totalCount).toBe(0);
  });

  test('a cursor that is not one → BAD_USER_INPUT naming after; first over 100 → BAD_USER_INPUT', async () => {
    const badCursor = await post(users.url, '{ users(after: "garbage") { totalCount } }', {}, asRouter(adminToken));
    expect(badCursor.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const tooMany = await post(users.url, '{ users(first: 1000) { totalCount } }', {}, asRouter(adminToken));
    expect(tooMany.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  test('a signed-in non-admin gets FORBIDDEN from the subgraph itself', async () => {
    const token = await issuer.sign({ sub: uuidv7() });
    const response = await post(users.url, '{ users { totalCount } }', {}, asRouter(token));
    expect(response.errors![0].extensions!.code).toBe('FORBIDDEN');
  });
});

describe('updateProfile', () => {
  test('concurrent updates of different fields both land', async () => {
    const me = await createProfile('Racer');
    const headers = asRouter(await issuer.sign({ sub: me.id }));
    const update = (input: Record<string, string>) =>
      post(users.url, 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }', { input }, headers);
    await Promise.all([update({ bio: 'fast' }), update({ locale: 'en' })]);
    const after = await post(users.url, '{ me { bio locale } }', {}, headers);
    expect(after.data!.me).toEqual({ bio: 'fast', locale: 'en' });
  });

  test.each([
    [{ nickname: 'x'.repeat(31) }, 'nickname'],
    [{ bio: 'b'.repeat(501) }, 'bio'],
    [{ locale: 'not a locale' }, 'locale'],
    [{ avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'],
  ])('a bad value → BAD_USER_INPUT on %#', async (input, field) => {
    const me = await createProfile('Validator');
    const response = await post(
      users.url,
      'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }',
      { input },
      asRouter(await issuer.sign({ sub: me.id })),
    );
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('setUserStatus', () => {
  const SET = 'mutation($id: ID!, $status: UserStatus!, $reason: String) { setUserStatus(userId: $id, status: $status, reason: $reason) { id status } }';

  test('an administrator cannot change their own status', async () => {
    const admin = await createProfile('Self Admin');
    const headers = asRouter(await issuer.sign({ sub: admin.id, scope: 'user admin' }));
    const response = await post(users.url, SET, { id: admin.id, status: 'SUSPENDED' }, headers);
    expect(response.errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  test('a reason over 500 characters → BAD_USER_INPUT on reason, and nothing changes', async () => {
    const target = await createProfile('Reasoned');
    const headers = asRouter(await issuer.sign({ sub: uuidv7(), scope: 'user admin' }));
    const response = await post(users.url, SET, { id: target.id, status: 'SUSPENDED', reason: 'r'.repeat(501) }, headers);
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    const after = await post(users.url, 'query($id: ID!) { user(id: $id) { status } }', { id: target.id }, trusted);
    expect(after.data!.user.status).toBe('ACTIVE');
  });

  test('an id that is not a UUID → NOT_FOUND, not a database error', async () => {
    const headers = asRouter(await issuer.sign({ sub: uuidv7(), scope: 'user admin' }));
    const response = await post(users.url, SET, { id: 'nope', status: 'ACTIVE' }, headers);
    expect(response.errors![0].extensions!.code).toBe('NOT_FOUND');
  });
});

describe('usersByNickname (signed in)', () => {
  const FIND = 'query($n: String!, $first: Int) { usersByNickname(nickname: $n, first: $first) { id nickname status } }';

  test('active users whose nickname starts with the prefix, alphabetically', async () => {
    const tag = randomUUID().slice(0, 6);
    const bora = await createProfile(`Bora${tag}b`);
    const boram = await createProfile(`bora${tag}A`);
    await createProfile(`Xbora${tag}`);
    const suspended = await createProfile(`Bora${tag}z`);
    const admin = asRouter(await issuer.sign({ sub: uuidv7(), scope: 'user admin' }));
    const setStatus = await post(users.url, 'mutation($id: ID!) { setUserStatus(userId: $id, status: SUSPENDED) { status } }', { id: suspended.id }, admin);
    expect(setStatus.data!.setUserStatus.status).toBe('SUSPENDED');
    const viewer = asRouter(await issuer.sign({ sub: uuidv7() }));
    const found = await post(users.url, FIND, { n: ` bora${tag} ` }, viewer);
    expect(found.data!.usersByNickname.map((user: { id: string }) => user.id)).toEqual([boram.id, bora.id]);
    const literal = await post(users.url, FIND, { n: '%' }, viewer);
    expect(literal.data!.usersByNickname).toEqual([]);
  });

  test('bad input is named; signed-out callers are refused', async () => {
    const viewer = asRouter(await issuer.sign({ sub: uuidv7() }));
    const empty = await post(users.url, FIND, { n: '  ' }, viewer);
    expect(empty.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'nickname' });
    const tooMany = await post(users.url, FIND, { n: 'a', first: 50 }, viewer);
    expect(tooMany.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const anonymous = await post(users.url, FIND, { n: 'a' }, trusted);
    expect(anonymous.data?.usersByNickname ?? null).toBeNull();
    expect(anonymous.errors![0].extensions!.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
  });
});
