import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import type { DatabaseTarget } from '@dorandoran/service-kit';

/** How many slices the range below is cut into, one per jest worker (modulo this). */
const PORT_SLICES = 4;
const PORT_SLICE_SIZE = 3000;
/** This worker's slice: a port another worker has picked but its service has not bound yet is never picked here. */
const portSlice = (Number(process.env.JEST_WORKER_ID ?? 1) - 1) % PORT_SLICES;
/** Ports this test file was given: a port is bound only when its service starts, and two given the same one fail. */
const givenPorts = new Set<number>();

/**
 * A free port below the kernel's ephemeral range (32768+): the services must know each other's
 * URLs before they start, and a port picked here must not be taken meanwhile by some socket bound
 * to port 0 (PGlite's, another test's), by another test worker or by an earlier call.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + portSlice * PORT_SLICE_SIZE + Math.floor(Math.random() * PORT_SLICE_SIZE);
    if (givenPorts.has(port)) continue;
    // Taken before the check, so that calls made at once never check the same port.
    givenPorts.add(port);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
    givenPorts.delete(port);
  }
}

/**
 * A fresh database per service and test file, a copy of one migrated once for the service's current
 * migrations (`fromMigratedTemplate`): on DATABASE_URL's server when set, in-memory PGlite otherwise.
 */
export function testDatabase(service: string): DatabaseTarget {
  const server = process.env.DATABASE_URL;
  if (!server) return { fromMigratedTemplate: true };
  const url = new URL(server);
  url.pathname = `/test_${service}_${randomBytes(4).toString('hex')}`;
  // Idle connections close after a second, so that stacks side by side fit PostgreSQL's connections (idleConnectionMs).
  return { databaseUrl: url.toString(), exactDatabase: true, dropOnClose: true, fromMigratedTemplate: true, idleConnectionMs: 1000 };
}

/** Drops a database testDatabase made (what `dropOnClose` does, for a database several instances used in turn). */
export async function dropTestDatabase(target: DatabaseTarget): Promise<void> {
  if (!target.databaseUrl) return;
  const admin = new URL(target.databaseUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => client.end());
}
