import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client, QueryResultRow } from 'pg';

/** Each connection's statement names by text; a connection parses a statement once and keeps it. */
const namesByConnection = new WeakMap<Client, Map<string, string>>();
let statementSerial = 0;

/**
 * Runs a fixed statement (`$1`-style parameters) as a named prepared statement on the connection `em`
 * would use: its transaction's, or one borrowed from its pool. `em.execute()` writes the parameters into
 * the text, so PostgreSQL parsed and planned every hot loader call anew (planning was 40 % of its time
 * under bench:app); a prepared statement is parsed once per connection and, once PostgreSQL settles on
 * a generic plan, not planned again. It also skips knex's query layer.
 *
 * For statements whose text is fixed in the code only: each distinct text is a statement kept on every
 * connection for its lifetime. Names are serial numbers, never reused, so a connection that reopens onto
 * a session still holding the old names (the embedded server's one PGlite session) prepares afresh
 * instead of colliding.
 */
export async function preparedQuery<Row extends QueryResultRow>(em: EntityManager, text: string, values: unknown[]): Promise<Row[]> {
  const transaction = em.getTransactionContext<{ client: KnexClient }>();
  const client = transaction ? transaction.client : (em.getConnection().getKnex().client as KnexClient);
  const connection = await client.acquireConnection();
  try {
    const result = await connection.query<Row>({ name: statementName(connection, text), text, values });
    return result.rows;
  } finally {
    await client.releaseConnection(connection);
  }
}

/** What preparedQuery needs of knex's client: its pool (a transaction's client hands out the transaction's connection). */
interface KnexClient {
  acquireConnection(): Promise<Client>;
  releaseConnection(connection: Client): Promise<unknown>;
}

function statementName(connection: Client, text: string): string {
  let names = namesByConnection.get(connection);
  if (!names) {
    names = new Map();
    namesByConnection.set(connection, names);
  }
  let name = names.get(text);
  if (!name) {
    statementSerial += 1;
    name = `dorandoran_${statementSerial}`;
    names.set(text, name);
  }
  return name;
}
