import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import {
  createLogger,
  createMemoryRevocationStore,
  createSubgraphServer,
  createTokenVerifier,
  remoteKeys,
  type RequestIdentity,
  type SubgraphServer,
} from '@dorandoran/service-kit';
import { loadRouterConfig } from '../../src/config';
import { startRouterService } from '../../src/service';

const SECRET = 'router-test-secret';
const logger = createLogger('gateway-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export interface TestSubgraph {
  name: string;
  typeDefs: string;
  resolvers: unknown;
  /** Serve subscriptions over graphql-ws. */
  subscriptions?: boolean;
  /** The resolvers' context from who the subgraph found calling; none by default. */
  context?: (identity: RequestIdentity) => object;
}

/** Composes subgraphs served at the given URLs into a supergraph SDL. */
export function compose(subgraphs: { name: string; typeDefs: string; url: string }[]): string {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })));
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

/** Starts small in-process subgraphs and the real router over a supergraph file on disk. */
export async function startTestRouter(subgraphs: TestSubgraph[], options: { jwksUrl?: string; env?: Record<string, string> } = {}) {
  // Nothing listens on port 9: without an issuer, every token fails verification.
  const jwksUrl = options.jwksUrl ?? 'http://127.0.0.1:9/jwks.json';
  const revocations = createMemoryRevocationStore();
  const verifier = createTokenVerifier({ keys: remoteKeys(jwksUrl), issuer: 'dorandoran-auth', audience: 'dorandoran', revocations });
  const servers: SubgraphServer[] = [];
  const stopped = new Set<number>();
  const served: { name: string; typeDefs: string; url: string }[] = [];
  const serve = (subgraph: TestSubgraph) =>
    createSubgraphServer({
      name: subgraph.name,
      typeDefs: parse(subgraph.typeDefs),
      resolvers: subgraph.resolvers,
      context: subgraph.context ?? (() => ({})),
      verifier,
      routerSecret: SECRET,
      logger,
      mode: 'development',
      subscriptions: subgraph.subscriptions,
    });
  for (const subgraph of subgraphs) {
    const server = await serve(subgraph);
    const port = await server.listen(0, '127.0.0.1');
    servers.push(server);
    served.push({ name: subgraph.name, typeDefs: subgraph.typeDefs, url: `http://127.0.0.1:${port}/graphql` });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'router-test-'));
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  await writeFile(supergraphPath, compose(served));
  const router = await startRouterService(
    loadRouterConfig({
      ROUTER_PORT: '0',
      SUPERGRAPH_PATH: supergraphPath,
      SUPERGRAPH_POLL_MS: '50',
      ROUTER_SECRET: SECRET,
      AUTH_JWKS_URL: jwksUrl,
      LOG_LEVEL: 'silent',
      DATA_DIR: dir,
      // Production mode's metrics port (9090) would collide between routers side by side.
      ...(options.env?.NODE_ENV === 'production' ? { METRICS_PORT: '0' } : {}),
      ...options.env,
    }),
    { revocations, logger },
  );
  return {
    url: router.url,
    wsUrl: router.url.replace(/^http/, 'ws'),
    /** Stops one subgraph's server, as if it went down. */
    async stopSubgraph(index: number) {
      await servers[index].close();
      stopped.add(index);
    },
    /** Serves a stopped subgraph again on its old port, as a restarted service would come back. */
    async restartSubgraph(index: number) {
      const server = await serve(subgraphs[index]);
      await server.listen(Number(new URL(served[index].url).port), '127.0.0.1');
      servers[index] = server;
      stopped.delete(index);
    },
    async stats() {
      const response = await fetch(router.url.replace(/\/graphql$/, '/health'));
      return ((await response.json()) as { subscriptions: { connections: number; subscriptions: number; upstreamSubscriptions: number } }).subscriptions;
    },
    supergraphPath,
    subgraphUrls: served.map((s) => s.url),
    revocations,
    async execute(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
      const response = await fetch(router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] }) };
    },
    async dispose() {
      await router.close();
      for (const [index, server] of servers.entries()) if (!stopped.has(index)) await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
