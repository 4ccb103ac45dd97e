import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * PGlite has no lock of its own, and two processes opening one data folder corrupt it. While a
 * service (or a command such as admin:create) uses its embedded database, a pid file next to it says so.
 */
class EmbeddedDatabaseInUseError extends Error {
  constructor(service: string, folder: string, pid: number, holder: string) {
    super(
      `The embedded ${service} database in ${folder} is in use by process ${pid} (${holder}). ` +
        `Stop that process first, or point DATABASE_URL / ${service.toUpperCase()}_DATABASE_URL at a PostgreSQL server.`,
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

/** Takes the lock for `<dataDir>/<service>`, or throws EmbeddedDatabaseInUseError. Returns the release function. */
export async function lockEmbeddedDatabase(dataDir: string, service: string): Promise<() => Promise<void>> {
  const folder = path.resolve(dataDir, service);
  const holder = process.argv.slice(1).map((arg) => path.basename(arg)).join(' ');
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
    if (owner.pid && alive(owner.pid)) throw new EmbeddedDatabaseInUseError(service, folder, owner.pid, owner.holder ?? 'unknown');
    // Left behind by a process that is gone.
    await rm(file, { force: true });
  }
  throw new Error(`Could not lock ${file}; another process keeps taking it.`);
}
