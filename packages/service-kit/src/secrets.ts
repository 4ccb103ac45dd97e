import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The secret the router presents to subgraphs, and services present to each other for internal
 * (@inaccessible) fields. Configured in production; for local runs it is
 * made once under the data folder and shared by every process started from this checkout.
 */
export const loadRouterSecret = (configured: string | undefined, dataDir: string): Promise<string> =>
  loadLocalSecret('router-secret', configured, dataDir);

/** A configured secret, or for local runs one made on first start and kept in `<dataDir>/<name>` (mode 600). */
export async function loadLocalSecret(name: string, configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = path.resolve(dataDir, name);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    await writeFile(file, secret, { flag: 'wx', mode: 0o600 });
    return secret;
  } catch (error) {
    // Another process wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw error;
  }
}

export function secretsEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const ROUTER_SECRET_HEADER = 'x-router-secret';
