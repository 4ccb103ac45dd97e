/**
 * The compiled build (`npm run build` → dist/) runs under plain `node`: the build is made once, then the
 * rollout's migration step, auth, users and the router start from dist/ on real PostgreSQL and Redis in
 * production mode, as the Docker image runs them, and a client signs up and reads itself through the router.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '@dorandoran/test-support/infra';
import { bearer, post } from '@dorandoran/test-support/graphql';

const ROOT = path.resolve(__dirname, '..', '..');
const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
const needsServers = DATABASE_URL && REDIS_URL ? describe : describe.skip;
if (!DATABASE_URL || !REDIS_URL) console.warn('Skipping test/build: it runs the compiled services on real PostgreSQL and Redis (set DATABASE_URL and REDIS_URL).');

const children = new Set<ChildProcess>();
const output = new Map<ChildProcess, string>();

/** Runs `node dist/<entry>` to its end. */
function runFromDist(entry: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join('dist', entry), ...args], { cwd: ROOT, env: nodeEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `node dist/<entry>` and resolves once its /ready answers 200. */
async function startFromDist(entry: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join('dist', entry)], { cwd: ROOT, env: nodeEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  output.set(child, '');
  const keep = (chunk: Buffer) => output.set(child, output.get(child) + chunk.toString());
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) }).then((response) => response.ok, () => false);
    if (ready) return child;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${entry} did not become ready (exit ${child.exitCode}):\n${output.get(child)?.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The child's environment: only what is given, plus PATH and HOME (no jest NODE_OPTIONS, no tsx loader). */
const nodeEnv = (env: Record<string, string>): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, ...env });

const migrationLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; applied?: number })
    .filter((line) => line.applied !== undefined);

needsServers('the compiled build', () => {
  const suffix = randomBytes(4).toString('hex');
  const databaseOf = (service: string) => {
    const url = new URL(DATABASE_URL!);
    url.pathname = `/build_${suffix}_${service}`;
    return url.toString();
  };
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dorandoran-build-'));
  let env: Record<string, string>;
  let ports: Record<'auth' | 'users' | 'router' | 'metrics', number>;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: ROOT, env: nodeEnv({}), encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    ports = { auth: await freePort(), users: await freePort(), router: await freePort(), metrics: await freePort() };
    const url = (port: number) => `http://127.0.0.1:${port}/graphql`;
    env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      REDIS_URL: REDIS_URL!,
      AUTH_DATABASE_URL: databaseOf('auth'),
      USERS_DATABASE_URL: databaseOf('users'),
      ROUTER_SECRET: randomBytes(24).toString('base64url'),
      MAIL_TRANSPORT: 'log',
      AUTH_PORT: String(ports.auth),
      USERS_PORT: String(ports.users),
      ROUTER_PORT: String(ports.router),
      METRICS_PORT: String(ports.metrics),
      AUTH_URL: url(ports.auth),
      USERS_URL: url(ports.users),
      AUTH_JWKS_URL: `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`,
      PASSWORD_HASH_MEMORY_KIB: '8192',
      PASSWORD_HASH_TIME_COST: '1',
    };
  });

  afterAll(async () => {
    await Promise.all(
      [...children].map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM')) : undefined)),
    );
    rmSync(dataDir, { recursive: true, force: true });
    const admin = new Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      for (const service of ['auth', 'users']) await admin.query(`DROP DATABASE IF EXISTS "build_${suffix}_${service}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  it('lays out dist/ as the services read it: bundles with source maps, schemas, the supergraph', () => {
    for (const file of [
      'gateway/src/index.js',
      'gateway/src/index.js.map',
      'supergraph.graphql',
      'web/persisted-query-manifest.json',
      'deploy/migrate.js',
      'subgraphs/auth/src/commands/adminCreate.js',
      ...['auth', 'users', 'chat', 'store', 'batch'].flatMap((name) => [`subgraphs/${name}/src/index.js`, `subgraphs/${name}/schema.graphql`]),
    ]) {
      expect([file, existsSync(path.join(ROOT, 'dist', file))]).toEqual([file, true]);
    }
  });

  it('carries the patched dependencies inside the bundles, not as requires of the published packages', () => {
    const patched = readdirSync(path.join(ROOT, 'patches'))
      .filter((file) => file.endsWith('.patch'))
      .map((file) => file.replace(/\+[^+]+\.patch$/, '').replace('+', '/'));
    expect(patched.length).toBeGreaterThan(0);
    const router = readFileSync(path.join(ROOT, 'dist', 'gateway', 'src', 'index.js'), 'utf8');
    for (const name of patched) expect([name, router.includes(`require("${name}")`)]).toEqual([name, false]);
  });

  it('migrates once when two migration steps start together, and refuses what it cannot migrate', async () => {
    const [first, second] = await Promise.all([runFromDist('deploy/migrate.js', ['auth'], env), runFromDist('deploy/migrate.js', ['auth'], env)]);
    expect([first.code, second.code]).toEqual([0, 0]);
    const applied = [...migrationLines(first.stdout), ...migrationLines(second.stdout)].map((line) => line.applied).sort();
    expect(applied[0]).toBe(0);
    expect(applied[1]).toBeGreaterThan(0);

    const unknown = await runFromDist('deploy/migrate.js', ['payments'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown service "payments"; one of auth, users, chat, store, batch');

    const { AUTH_DATABASE_URL: _auth, ...embedded } = env;
    const noServer = await runFromDist('deploy/migrate.js', ['auth'], embedded);
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toContain('AUTH_DATABASE_URL or DATABASE_URL must name the PostgreSQL server to migrate');
  });

  it('starts auth, users and the router from dist/ with node and answers through the router', async () => {
    await Promise.all([startFromDist('subgraphs/auth/src/index.js', ports.auth, env), startFromDist('subgraphs/users/src/index.js', ports.users, env)]);
    await startFromDist('gateway/src/index.js', ports.router, env);
    const router = `http://127.0.0.1:${ports.router}/graphql`;

    const signUp = await post(router, 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id nickname } } }', {
      input: { email: `dist-${suffix}@example.com`, password: 'hunter2hunter2', nickname: 'Dist' },
    });
    expect(signUp.errors).toBeUndefined();
    const me = await post(router, '{ me { id nickname email } }', {}, bearer(signUp.data!.signUp.accessToken));
    expect(me).toMatchObject({ status: 200, data: { me: { id: signUp.data!.signUp.user.id, nickname: 'Dist', email: `dist-${suffix}@example.com` } } });

    // Production mode: introspection off, and /metrics only on its own port.
    const introspection = await post(router, '{ __schema { queryType { name } } }');
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const metrics = await fetch(`http://127.0.0.1:${ports.metrics}/metrics`);
    expect(await metrics.text()).toContain('service="router"');
  });

  it('exits with the reason when a compiled service is misconfigured', async () => {
    const { REDIS_URL: _redis, ...withoutRedis } = env;
    const users = await runFromDist('subgraphs/users/src/index.js', [], { ...withoutRedis, USERS_PORT: '0' });
    expect(users.code).toBe(1);
    expect(users.stderr).toContain('users could not start: Invalid configuration: REDIS_URL must be set in production');
    const { ROUTER_SECRET: _secret, ...withoutSecret } = env;
    const chat = await runFromDist('subgraphs/chat/src/index.js', [], { ...withoutSecret, CHAT_PORT: '0' });
    expect(chat.code).toBe(1);
    expect(chat.stderr).toContain('chat could not start: Invalid configuration: ROUTER_SECRET must be set in production');
  });
});
