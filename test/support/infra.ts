import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { DatabaseTarget } from '@dorandoran/service-kit';

/** A free loopback port: the services must know each other's URLs before they start. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A fresh database per service and test file: on DATABASE_URL's server when set, in-memory PGlite otherwise. */
export function testDatabase(service: string): DatabaseTarget {
  const server = process.env.DATABASE_URL;
  if (!server) return {};
  const url = new URL(server);
  url.pathname = `/test_${service}_${randomBytes(4).toString('hex')}`;
  return { databaseUrl: url.toString(), exactDatabase: true, dropOnClose: true };
}
