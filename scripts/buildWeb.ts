/**
 * Builds the web app (`npm run build:web` → web/dist, which the router serves at `/`) only when its
 * inputs changed since the last build: a build takes 7–12 s of two cores, and `npm start` and every
 * browser test file need one. Used by scripts/start.ts and test/browser/support/browser.ts.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(__dirname, '..');
const WEB = path.join(ROOT, 'web');
const DIST = path.join(WEB, 'dist');
const INDEX_HTML = path.join(DIST, 'index.html');
/**
 * The hash of the inputs the build in web/dist was made from: removed before a build starts and
 * written once it has succeeded, so a failed or interrupted build, which may leave dist/ half
 * replaced, leaves none.
 */
const STAMP = path.join(DIST, '.build-inputs');

/** What the build reads besides node_modules, whose versions the lockfile pins. */
const INPUTS = [
  'web/src',
  'web/public',
  'web/index.html',
  'web/graphiql.html',
  'web/package.json',
  'web/tsconfig.json',
  'web/vite.config.mts',
  'web/vite.graphiql.config.mts',
  'package-lock.json',
];

/**
 * A SHA-256 over the paths and contents of the files and folders given relative to the root (not
 * their times: a clone, checkout or copy changes those without changing what is built); missing ones
 * are left out.
 */
export function inputsHash(inputs: readonly string[]): string {
  const hash = createHash('sha256');
  const visit = (relative: string) => {
    const file = path.join(ROOT, relative);
    const info = statSync(file, { throwIfNoEntry: false });
    if (!info) return;
    if (info.isDirectory()) {
      for (const name of readdirSync(file).sort()) visit(path.posix.join(relative, name));
      return;
    }
    const content = readFileSync(file);
    hash.update(`${relative}\0${content.length}\0`).update(content);
  };
  for (const input of inputs) visit(input);
  return hash.digest('hex');
}

export interface WebBuildOptions {
  /**
   * A build finished at or after this time (ms since the epoch) counts even if the inputs changed
   * since: jest workers share web/dist, and a second build would empty it under a test loading it.
   */
  acceptBuiltSince?: number;
}

/** Whether it built (false: web/dist was up to date) and how long the check and build took. */
export interface WebBuildResult {
  built: boolean;
  seconds: number;
}

/**
 * Builds the web app unless web/dist holds a complete build of the current inputs; one build at a
 * time on this machine. Synchronous up to the build's start, so a caller that goes on to load
 * modules (seconds of this thread's time) has the build running meanwhile.
 */
export async function buildWebIfChanged(options: WebBuildOptions = {}): Promise<WebBuildResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  return withBuildLock(async () => {
    const inputs = inputsHash(INPUTS);
    const stamp = statSync(STAMP, { throwIfNoEntry: false });
    const complete = stamp !== undefined && statSync(INDEX_HTML, { throwIfNoEntry: false }) !== undefined;
    if (complete && options.acceptBuiltSince !== undefined && stamp.mtimeMs >= options.acceptBuiltSince) return { built: false, seconds: seconds() };
    if (complete && readFileSync(STAMP, 'utf8').trim() === inputs) return { built: false, seconds: seconds() };
    rmSync(STAMP, { force: true });
    await runBuild();
    if (!statSync(INDEX_HTML, { throwIfNoEntry: false })) throw new Error(`\`npm run build:web\` succeeded but wrote no ${path.relative(ROOT, INDEX_HTML)}`);
    // The hash from before the build: a file changed while it ran makes the next check build again.
    writeFileSync(STAMP, `${inputs}\n`);
    return { built: true, seconds: seconds() };
  });
}

/** `npm run build:web`, its output kept for the error when it fails. */
async function runBuild(): Promise<void> {
  const child = spawn('npm', ['run', 'build:web'], {
    cwd: ROOT,
    // The router serves a production build whatever NODE_ENV says (under jest it says test, which
    // would make Vite bundle React's development build).
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A hung build fails instead of holding the lock (and everyone waiting on it) for good.
    timeout: 5 * 60_000,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    // The last lines are what explain a failure; the start of a long log is not.
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, killedBy) => resolve([code, killedBy]));
  });
  if (status === 0) return;
  const how = status !== null ? `exit code ${status}` : `signal ${signal}`;
  const tail = output.trim().split('\n').slice(-40).join('\n');
  throw new Error(`\`npm run build:web\` failed (${how}); the router serves the web app from web/dist.\n${tail}`);
}

/** The lock file holds its holder's pid, so a lock left by a process that is gone (Ctrl-C during a build) is taken over at once. */
const LOCK = path.join(os.tmpdir(), `dorandoran-web-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}.pid`);
/** Held for the moment of removing a stale lock: two processes that both found it stale would otherwise both remove it, the second the lock the first had just taken. */
const BREAKER = `${LOCK}.breaking`;

/** Creates `file` with this process's pid, unless it exists. */
function create(file: string): boolean {
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function contentOf(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // released meanwhile
  }
}

const ageOf = (file: string) => Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One build at a time on this machine: jest workers and `npm start` share web/dist, and Vite empties
 * it first, so a second build would pull the files from under a test or a browser loading them.
 */
async function withBuildLock<T>(run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 5 * 60_000;
  while (!create(LOCK)) {
    const holder = contentOf(LOCK);
    const pid = Number(holder);
    // An empty lock is one whose holder is writing its pid; one older than any build, a reused pid's.
    if ((pid > 0 && !alive(pid)) || ageOf(LOCK) > 10 * 60_000) {
      if (create(BREAKER)) {
        try {
          if (contentOf(LOCK) === holder) rmSync(LOCK, { force: true });
        } finally {
          rmSync(BREAKER, { force: true });
        }
        continue;
      }
      // The breaker is held for a moment; an old one was left by a process killed meanwhile.
      if (ageOf(BREAKER) > 10_000) rmSync(BREAKER, { force: true });
    }
    if (Date.now() > deadline) throw new Error(`process ${holder || '?'} has been building the web app for 5 minutes (lock ${LOCK})`);
    await sleep(200);
  }
  try {
    return await run();
  } finally {
    rmSync(LOCK, { force: true });
  }
}
