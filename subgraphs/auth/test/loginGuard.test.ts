import type { EntityManager } from '@mikro-orm/postgresql';
import { createLogger, openDatabase, type Database } from '@dorandoran/service-kit';
import { testDatabase } from '@dorandoran/test-support/infra';
import { entities } from '../src/entities';
import { LoginAttempt } from '../src/entities/LoginAttempt.entity';
import { createLoginGuard } from '../src/loginGuard';
import { migrations } from '../src/migrations';

let database: Database;
beforeAll(async () => {
  database = await openDatabase({ service: 'auth', entities, migrations, logger: createLogger('login-guard-test', 'silent'), ...testDatabase('auth') });
});
afterAll(() => database?.close());

const fork = () => database.orm.em.fork() as EntityManager;
const guard = createLoginGuard({ attempts: 5, windowSeconds: 60 });

/** Each test's clock: ages are counted from it, so a slow machine does not age the attempts under test. */
let now: number;
beforeEach(() => {
  now = Date.now();
});

/** Stores failed attempts for `email` made `secondsAgo` each. */
async function failedAttempts(email: string, ...secondsAgo: number[]): Promise<void> {
  await fork().insertMany(secondsAgo.map((seconds) => Object.assign(new LoginAttempt(email), { at: new Date(now - seconds * 1000) })));
}

const ageOf = async (email: string) =>
  (await fork().find(LoginAttempt, { email }, { orderBy: { at: 'asc' } })).map((attempt) => Math.round((now - attempt.at.getTime()) / 1000));
const olderThan = (seconds: number) => fork().count(LoginAttempt, { at: { $lt: new Date(Date.now() - seconds * 1000) } });

describe('login_attempts stays small', () => {
  test('an attempt deletes attempts, of any email, older than two lockout windows (they can no longer count)', async () => {
    await failedAttempts('sprayed@example.com', 600, 125);
    await failedAttempts('kept@example.com', 115, 30);
    await guard.attempt(fork(), 'someone@example.com', async () => false);
    expect(await ageOf('sprayed@example.com')).toEqual([]);
    expect(await ageOf('kept@example.com')).toEqual([115, 30]);
    // Made now, by the guard: younger than the test's clock reads (negative), by however long the test has run.
    expect(await ageOf('someone@example.com')).toEqual([expect.any(Number)]);
    expect((await ageOf('someone@example.com'))[0]).toBeLessThanOrEqual(0);
  });

  test('a backlog is deleted in bounded batches of 100, one per attempt', async () => {
    await failedAttempts('backlog@example.com', ...Array.from({ length: 150 }, (_, i) => 200 + i));
    await guard.attempt(fork(), 'someone@example.com', async () => true);
    expect(await olderThan(120)).toBe(50);
    await guard.attempt(fork(), 'someone@example.com', async () => true);
    expect(await olderThan(120)).toBe(0);
  });
});
