import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * PGlite has no lock of its own, and two processes opening one data folder corrupt it. While the
 * auth service (or admin:create) uses the embedded database, a pid file next to it says so.
 */
export class EmbeddedDatabaseInUseError extends Error {
  constructor(folder: string, pid: number, holder: string) {
    super(
      `The embedded auth database in ${folder} is in use by process ${pid} (${holder}). ` +
        'Stop that process first, or point DATABASE_URL / AUTH_DATABASE_URL at a PostgreSQL server.',
    );
    this.name = 'EmbeddedDatabaseInUseError';
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function readOwner(file: string): Promise<{ pid?: number; holder?: string }> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return {}; // gone meanwhile, or half-written by a process that died
  }
}

/** Takes the lock for `<dataDir>/auth`, or throws EmbeddedDatabaseInUseError. Returns the release function. */
export async function lockEmbeddedDatabase(dataDir: string, holder: string): Promise<() => Promise<void>> {
  const folder = path.resolve(dataDir, 'auth');
  const file = path.join(folder, 'embedded.lock');
  await mkdir(folder, { recursive: true });
  for (let tries = 0; tries < 2; tries++) {
    try {
      await writeFile(file, JSON.stringify({ pid: process.pid, holder }), { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(file);
    if (owner.pid && alive(owner.pid)) throw new EmbeddedDatabaseInUseError(folder, owner.pid, owner.holder ?? 'unknown');
    // Left behind by a process that is gone.
    await rm(file, { force: true });
  }
  throw new Error(`Could not lock ${file}; another process keeps taking it.`);
}
