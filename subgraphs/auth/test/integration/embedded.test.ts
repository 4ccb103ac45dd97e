import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startAuthHarness, type AuthHarness } from '../helpers/harness';

/** `npm run admin:create` as an operator runs it, on the embedded database in `dataDir`. */
async function adminCreate(dataDir: string, email: string): Promise<{ code: number; output: string }> {
  const root = path.resolve(__dirname, '../../../..');
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  delete env.AUTH_DATABASE_URL;
  const command = [path.join(root, 'node_modules/.bin/tsx'), 'subgraphs/auth/src/commands/adminCreate.ts', '--email', email];
  try {
    const { stdout, stderr } = await promisify(execFile)(command[0], command.slice(1), { cwd: root, env });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('auth on an embedded database kept on disk', () => {
  let dataDir: string;
  let h: AuthHarness | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'auth-embedded-'));
  });
  afterAll(async () => {
    await h?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('admin:create refuses while the service runs, grants once it stopped, and the signing key survives a restart', async () => {
    h = await startAuthHarness({ embeddedDataDir: dataDir });
    const user = await h.signUp();
    const kid = decodeProtectedHeader(user.accessToken).kid;

    const busy = await adminCreate(dataDir, user.email);
    expect(busy.code).toBe(1);
    expect(busy.output).toMatch(/in use by process \d+ \(.+\).*Stop that process first/s);

    await h.close();
    h = undefined;
    const unknown = await adminCreate(dataDir, 'nobody@example.com');
    expect(unknown).toEqual({ code: 1, output: expect.stringMatching(/No account has the email nobody@example.com. Sign up first/) });
    const granted = await adminCreate(dataDir, user.email.toUpperCase());
    expect(granted).toEqual({ code: 0, output: expect.stringMatching(/is now an administrator/) });

    h = await startAuthHarness({ embeddedDataDir: dataDir, users: 'down' });
    const signedIn = (await h.logIn(user.email, user.password)).data!.logIn;
    expect(decodeJwt(signedIn.accessToken).scope).toBe('user admin');
    expect(decodeProtectedHeader(signedIn.accessToken).kid).toBe(kid);
  });

  test('a start that fails half-way (port taken) closes what it opened and releases the database', async () => {
    await h?.close();
    h = undefined;
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as { port: number }).port;
    await expect(startAuthHarness({ embeddedDataDir: dataDir, users: 'down', env: { AUTH_PORT: String(port) } })).rejects.toThrow(/EADDRINUSE/);
    await new Promise((resolve) => blocker.close(resolve));
    h = await startAuthHarness({ embeddedDataDir: dataDir, users: 'down' });
    expect((await h.call('{ _service { sdl } }', {}, h.trusted)).status).toBe(200);
  });
});
