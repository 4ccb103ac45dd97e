/**
 * What the conformance suites run on: their subgraphs on one real HTTP server (one path a
 * subgraph), a supergraph composed by @apollo/composition, and either gateway over it: our router
 * as production starts it (startRouterService over a supergraph file, @apollo/gateway with
 * patches/ applied) or stock @apollo/gateway, unpatched, under a bare Apollo Server.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger, createMemoryRevocationStore } from '@dorandoran/service-kit';
import { execute, parse, validate, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { loadRouterConfig } from '@dorandoran/gateway/config';
import { startRouterService } from '@dorandoran/gateway/service';
import { loadStockApollo } from './stockApollo';
import type { SubgraphDefinition, Suite } from './suite';

export type GatewayName = 'ours' | 'stock';

export interface Answer {
  data?: unknown;
  errors?: readonly GraphQLFormattedError[];
}

export interface RunningGateway {
  execute(query: string, variables?: Record<string, unknown>): Promise<Answer>;
  close(): Promise<void>;
}

export interface SubgraphHost {
  /** The supergraph of a suite, its subgraphs routed to this host. */
  supergraphOf(suite: Suite): string;
  close(): Promise<void>;
}

/**
 * Every suite's subgraphs on one server, at `/<suite id>/<subgraph name>`. They answer any caller:
 * the router secret our router sends is a matter of our subgraphs, not of federation.
 */
export async function startSubgraphHost(suites: readonly Suite[]): Promise<SubgraphHost> {
  const definitions = new Map<string, SubgraphDefinition>(suites.flatMap((suite) => suite.subgraphs.map((subgraph) => [`/${suite.id}/${subgraph.name}`, subgraph] as const)));
  const schemas = new Map<string, GraphQLSchema>();
  const schemaAt = (route: string) => {
    let schema = schemas.get(route);
    const definition = definitions.get(route);
    if (!schema && definition) {
      schema = buildSubgraphSchema([{ typeDefs: parse(definition.typeDefs), resolvers: definition.resolvers as never }]);
      schemas.set(route, schema);
    }
    return schema;
  };
  const answer = (res: ServerResponse, status: number, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const schema = schemaAt(req.url ?? '');
    if (!schema || req.method !== 'POST') return answer(res, 404, { errors: [{ message: `no subgraph at ${req.method} ${req.url}` }] });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const document = parse(query);
    const errors = validate(schema, document);
    if (errors.length) return answer(res, 400, { errors: errors.map((error) => error.toJSON()) });
    const result = await execute({ schema, document, variableValues: variables, operationName });
    answer(res, 200, { ...result, errors: result.errors?.map((error) => error.toJSON()) });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answer(res, 500, { errors: [{ message: String(error) }] }));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    supergraphOf(suite) {
      const composed = composeServices(
        suite.subgraphs.map(({ name, typeDefs }) => ({ name, url: `${origin}/${suite.id}/${name}`, typeDefs: parse(typeDefs) })),
      );
      if (composed.errors) throw new Error(`${suite.id} does not compose:\n${composed.errors.map((error) => error.message).join('\n')}`);
      return composed.supergraphSdl;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const logger = createLogger('federation-conformance', process.env.TEST_LOG_LEVEL ?? 'silent');

/** Our router with production's defaults; only rate limits are off, the suites sending many requests from one address. */
async function startOurRouter(supergraphSdl: string): Promise<RunningGateway> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'federation-conformance-'));
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  await writeFile(supergraphPath, supergraphSdl);
  const router = await startRouterService(
    loadRouterConfig({
      ROUTER_PORT: '0',
      SUPERGRAPH_PATH: supergraphPath,
      ROUTER_SECRET: 'federation-conformance',
      // Nothing listens on port 9: the suites send no tokens.
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      LOG_LEVEL: 'silent',
      DATA_DIR: dir,
      RATE_LIMITS: 'false',
    }),
    { revocations: createMemoryRevocationStore(), logger },
  );
  return {
    async execute(query, variables) {
      const response = await fetch(router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as Answer;
    },
    async close() {
      await router.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startStockGateway(supergraphSdl: string): Promise<RunningGateway> {
  const { ApolloGateway, ApolloServer } = loadStockApollo();
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl, logger }), includeStacktraceInErrorResponses: false });
  await server.start();
  return {
    async execute(query, variables) {
      const { body } = await server.executeOperation({ query, variables });
      if (body.kind !== 'single') throw new Error('the conformance suites expect single results');
      // As a client would read it off the wire (graphql-js builds its objects without a prototype).
      return JSON.parse(JSON.stringify(body.singleResult)) as Answer;
    },
    close: () => server.stop(),
  };
}

export function startGateway(name: GatewayName, supergraphSdl: string): Promise<RunningGateway> {
  return name === 'stock' ? startStockGateway(supergraphSdl) : startOurRouter(supergraphSdl);
}
