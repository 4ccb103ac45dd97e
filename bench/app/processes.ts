/**
 * A service process of the app bench: node with a clean environment (nothing of the caller's
 * NODE_OPTIONS, REDIS_URL or DATABASE_URL leaks in), its output in `<workDir>/<name>.log`.
 * Stopping and sampling CPU and memory from /proc are the gateway bench's.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, type Started } from '../gateways/processes';

export { CLOCK_TICKS_PER_SECOND, ROOT, sampleProcess, stop, type Started } from '../gateways/processes';

export function startNode(name: string, args: string[], env: Record<string, string>, workDir: string): Started {
  const log = path.join(workDir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? workDir, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  // stop() takes this listener off first: only an exit nobody asked for rejects.
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}); its output:\n${readFileSync(log, 'utf8').slice(-4000)}`))),
  );
  exited.catch(() => undefined);
  return { name, process: child, exited, log };
}
