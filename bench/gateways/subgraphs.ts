/**
 * The bench's subgraph process: the four subgraphs of schemas.ts, each on its own node:http server
 * at the port BENCH_SUBGRAPH_PORTS (JSON, name → port) gives it. Deliberately lean (no framework,
 * each distinct query parsed and validated once) so that the gateway, not its subgraphs, is what
 * the bench measures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { SUBGRAPHS, type SubgraphName } from './schemas';

interface GraphQLBody {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

function serve(schema: GraphQLSchema): Server {
  const documents = new Map<string, DocumentNode>();
  const answer = (res: ServerResponse, status: number, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return answer(res, 405, { errors: [{ message: 'POST a GraphQL request' }] });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GraphQLBody;
    let document = documents.get(query);
    if (!document) {
      document = parse(query);
      const errors = validate(schema, document);
      if (errors.length) return answer(res, 400, { errors: errors.map((error) => error.toJSON()) });
      documents.set(query, document);
    }
    answer(res, 200, await execute({ schema, document, variableValues: variables, operationName }));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answer(res, 500, { errors: [{ message: String(error) }] }));
  });
  // Connections stay open however long a gateway waits for its next round: a keep-alive timeout
  // closing pooled connections under a gateway would show up as that gateway's errors.
  server.keepAliveTimeout = 0;
  return server;
}

async function main() {
  const ports = JSON.parse(process.env.BENCH_SUBGRAPH_PORTS ?? '{}') as Record<SubgraphName, number>;
  const servers = await Promise.all(
    SUBGRAPHS.map(async ({ name, typeDefs, resolvers }) => {
      if (!ports[name]) throw new Error(`BENCH_SUBGRAPH_PORTS names no port for ${name}`);
      const server = serve(buildSubgraphSchema([{ typeDefs: parse(typeDefs), resolvers }]));
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[name], '127.0.0.1', resolve));
      return server;
    }),
  );
  process.once('SIGTERM', () => {
    for (const server of servers) server.closeAllConnections();
    Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))).then(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
