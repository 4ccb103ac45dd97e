import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createInProcessTransport, createLogger, createMemoryRevocationStore, type EventTransport, type RunningService } from '@dorandoran/service-kit';
import { bearer, post } from '@dorandoran/test-support/graphql';
import { startTestIssuer, type TestIssuer } from '@dorandoran/test-support/issuer';
import { testDatabase } from '@dorandoran/test-support/infra';
import { eventually } from '@dorandoran/test-support/ws';
import { loadUsersConfig } from '../../src/config';
import { startUsersService } from '../../src/service';

/** Dormant accounts: users follows sign-ins from auth's events, and markDormantUsers applies the rule. */
const SECRET = 'users-dormancy-secret';
const trusted = { 'x-router-secret': SECRET };
/** What the router sends for a signed-in caller: the token and the router secret. */
const asRouter = (token: string) => ({ ...trusted, ...bearer(token) });
const database = testDatabase('users');
let issuer: TestIssuer;
let users: RunningService;
let events: EventTransport;
let service: Record<string, string>;
let admin: Record<string, string>;

beforeAll(async () => {
  issuer = await startTestIssuer();
  const logger = createLogger('users-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  events = createInProcessTransport(logger);
  const config = loadUsersConfig({ USERS_PORT: '0', ROUTER_SECRET: SECRET, AUTH_JWKS_URL: issuer.jwksUrl, DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'users-test-')) });
  users = await startUsersService(config, { revocations: createMemoryRevocationStore(), events, logger, database });
  service = asRouter(await issuer.sign({ sub: uuidv7(), scope: 'service' }));
  admin = asRouter(await issuer.sign({ sub: uuidv7(), scope: 'user admin' }));
});
afterAll(async () => {
  await users?.close();
  await events?.close();
  await issuer?.close();
});

const MARK = 'mutation($days: Int!) { markDormantUsers(inactiveDays: $days) }';
const DORMANT = 'query($id: ID!) { user(id: $id) { dormantSince } }';

async function profile(nickname: string) {
  const id = uuidv7();
  const response = await post(users.url, 'mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }', { input: { id, nickname, email: `${id}@example.com` } }, trusted);
  if (!response.data?.createProfile) throw new Error(JSON.stringify(response.errors));
  return id;
}
const dormantSince = async (id: string) => (await post(users.url, DORMANT, { id }, admin)).data!.user.dormantSince;

function signedIn(userId: string, at: Date) {
  return events.publish([{ id: uuidv7(), type: 'auth.logged_in', version: 1, occurredAt: at.toISOString(), producer: 'auth', subject: userId, data: { userId, sessionId: uuidv7(), via: 'PASSWORD' } }]);
}

test('only the service account or an administrator may mark, with 1 to 3650 days; dormancy is for the user and admins to see', async () => {
  const id = await profile('Quiet');
  const user = asRouter(await issuer.sign({ sub: uuidv7() }));
  expect((await post(users.url, MARK, { days: 90 }, user)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect((await post(users.url, MARK, { days: 90 }, admin)).data).toEqual({ markDormantUsers: 0 });
  const bad = await post(users.url, MARK, { days: 0 }, service);
  expect(bad.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/1 to 3650/) });
  expect((await post(users.url, DORMANT, { id }, user)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect((await post(users.url, DORMANT, { id }, asRouter(await issuer.sign({ sub: id })))).data!.user).toEqual({ dormantSince: null });
});

// Ageing accounts takes rewriting their dates, which needs a database this test can reach.
const withServerDatabase = database.databaseUrl ? test : test.skip;

withServerDatabase('accounts without a sign-in for the given days become dormant; a sign-in ends it, and a late older one changes nothing', async () => {
  const [neverSignedIn, signedInLongAgo, signedInRecently] = [await profile('Never'), await profile('Long ago'), await profile('Recent')];
  const db = new Client({ connectionString: database.databaseUrl });
  await db.connect();
  try {
    const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600_000);
    await db.query('update users set created_at = $1 where id = any($2)', [daysAgo(200), [neverSignedIn, signedInLongAgo, signedInRecently]]);
    await signedIn(signedInLongAgo, daysAgo(120));
    await signedIn(signedInRecently, daysAgo(10));
    const lastLogin = async (id: string) => (await db.query('select last_login_at from users where id = $1', [id])).rows[0].last_login_at;
    await eventually(async () => (await lastLogin(signedInRecently)) !== null && (await lastLogin(signedInLongAgo)) !== null, 'sign-ins recorded');

    expect((await post(users.url, MARK, { days: 90 }, service)).data).toEqual({ markDormantUsers: 2 });
    expect(await dormantSince(neverSignedIn)).not.toBeNull();
    expect(await dormantSince(signedInLongAgo)).not.toBeNull();
    expect(await dormantSince(signedInRecently)).toBeNull();
    expect((await post(users.url, MARK, { days: 90 }, service)).data).toEqual({ markDormantUsers: 0 }); // already dormant

    await signedIn(neverSignedIn, new Date());
    await eventually(async () => (await dormantSince(neverSignedIn)) === null, 'dormancy ended by a sign-in');
    const recent = await lastLogin(signedInRecently);
    await signedIn(signedInRecently, daysAgo(30)); // redelivered late
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await lastLogin(signedInRecently)).toEqual(recent);
  } finally {
    await db.end();
  }
});
