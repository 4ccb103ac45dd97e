/**
 * Counts the SQL statements a process sends to PostgreSQL, for benchmarks: loaded before the
 * service (`node --import tsx --import ./packages/service-kit/src/statementCounter.ts …`) with
 * SQL_STATEMENT_COUNTER_PORT set, it wraps `query` of every copy of `pg`'s Client the process can
 * load (MikroORM's knex and pg-boss load different copies) and answers `GET /` on that port
 * (127.0.0.1) with the count so far as JSON. Without the variable it does nothing, so a service
 * never counts unless a bench asked for it.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const port = process.env.SQL_STATEMENT_COUNTER_PORT;

/** Where `pg` is installed: the workspace's own copy and the one @mikro-orm/postgresql brings. */
const PG_PACKAGES = ['pg', '@mikro-orm/postgresql/node_modules/pg'];

interface QueryablePrototype {
  query: (...args: unknown[]) => unknown;
}

if (port) {
  let statements = 0;
  const requireFromRoot = createRequire(path.join(process.cwd(), 'package.json'));
  for (const name of PG_PACKAGES) {
    let prototype: QueryablePrototype;
    try {
      prototype = (requireFromRoot(name) as { Client: { prototype: QueryablePrototype } }).Client.prototype;
    } catch {
      continue; // this copy is not installed here
    }
    const query = prototype.query;
    prototype.query = function countedQuery(this: unknown, ...args: unknown[]) {
      statements += 1;
      return query.apply(this, args);
    };
  }
  createServer((_, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ statements }));
  })
    .listen(Number(port), '127.0.0.1')
    .unref();
}
