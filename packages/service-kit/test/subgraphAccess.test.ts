import { once } from 'node:events';
import { GraphQLError, parse } from 'graphql';
import WebSocket from 'ws';
import { bearer, post } from '@dorandoran/test-support/graphql';
import { startTestIssuer, TEST_AUDIENCE, TEST_ISSUER, type TestIssuer } from '@dorandoran/test-support/issuer';
import { wsClient } from '@dorandoran/test-support/ws';
import { createTokenVerifier, remoteKeys } from '../src/identity';
import { createLogger } from '../src/logger';
import { createMemoryRevocationStore } from '../src/revocations';
import { ROUTER_SECRET_HEADER } from '../src/secrets';
import { createSubgraphServer, SUBGRAPH_LIMITS, type SubgraphServer } from '../src/subgraph';

const SECRET = 'subgraph-access-test-secret';
const router = { [ROUTER_SECRET_HEADER]: SECRET };

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Query {
    whoAmI: String
    node: Node
  }
  type Subscription {
    tick: Node
  }
  type Node {
    child: Node
    value: Int
    broken: Int
    refused: Int
  }
  type User @key(fields: "id") {
    id: ID!
  }
`);

const resolvers = {
  Query: {
    whoAmI: (_: unknown, __: unknown, context: { viewer: { userId: string } | null }) => context.viewer?.userId ?? null,
    node: () => ({}),
  },
  Subscription: {
    tick: {
      async *subscribe() {
        yield { tick: {} };
      },
    },
  },
  Node: {
    child: () => ({}),
    value: () => 1,
    broken: () => {
      throw new Error('select secret_column from accounts where token = $1 - relation does not exist');
    },
    refused: () => {
      throw new GraphQLError('Not yours.', { extensions: { code: 'FORBIDDEN' } });
    },
  },
  User: { __resolveReference: (user: { id: string }) => user },
};

let issuer: TestIssuer;
let server: SubgraphServer;
let url: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await createSubgraphServer({
    name: 'access-test',
    typeDefs,
    resolvers,
    context: (identity) => identity,
    verifier: createTokenVerifier({ keys: remoteKeys(issuer.jwksUrl), issuer: TEST_ISSUER, audience: TEST_AUDIENCE, revocations: createMemoryRevocationStore() }),
    routerSecret: SECRET,
    logger: createLogger('access-test', 'silent'),
    mode: 'production',
    subscriptions: true,
  });
  url = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}/graphql`;
});

afterAll(async () => {
  await server.close();
  await issuer.close();
});

const userHeaders = async () => bearer(await issuer.sign({ sub: 'user-1' }));
/** `node { child { … { value } } }`, `depth` fields deep. */
const nested = (depth: number, root = 'node') => `${root} { ${'child { '.repeat(depth - 2)}value${' }'.repeat(depth - 2)} }`;
const representations = (count: number) => Array.from({ length: count }, (_, i) => ({ __typename: 'User', id: String(i) }));
const ENTITIES = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id } } }';

describe('only the router secret opens GraphQL', () => {
  test('a valid user token without the secret is refused with 403 and a code that sends the caller to the router', async () => {
    const response = await post(url, '{ whoAmI }', {}, await userHeaders());
    expect(response.status).toBe(403);
    expect(response.errors![0].extensions!.code).toBe('ROUTER_SECRET_REQUIRED');
    expect(response.errors![0].message).toMatch(/Query the router/);
  });

  test('no token, or a wrong secret, is refused the same way', async () => {
    expect((await post(url, '{ whoAmI }')).status).toBe(403);
    const guessed = await post(url, '{ whoAmI }', {}, { [ROUTER_SECRET_HEADER]: 'guess', ...(await userHeaders()) });
    expect(guessed.status).toBe(403);
    expect(guessed.errors![0].extensions!.code).toBe('ROUTER_SECRET_REQUIRED');
  });

  test('_service and _entities answer only the secret', async () => {
    const user = await userHeaders();
    expect((await post(url, '{ _service { sdl } }', {}, user)).status).toBe(403);
    expect((await post(url, ENTITIES, { representations: representations(1) }, user)).status).toBe(403);

    const sdl = await post(url, '{ _service { sdl } }', {}, router);
    expect(sdl.status).toBe(200);
    expect(sdl.data!._service.sdl).toContain('type Node');
    expect((await post(url, ENTITIES, { representations: representations(1) }, router)).data).toEqual({ _entities: [{ id: '0' }] });
  });

  test('with the secret, the user token still rides along and is verified', async () => {
    expect((await post(url, '{ whoAmI }', {}, { ...router, ...(await userHeaders()) })).data).toEqual({ whoAmI: 'user-1' });
    expect((await post(url, '{ whoAmI }', {}, router)).data).toEqual({ whoAmI: null });
    const forged = await post(url, '{ whoAmI }', {}, { ...router, authorization: 'Bearer not.a.token' });
    expect(forged.status).toBe(401);
    expect(forged.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  test('health, readiness and metrics stay open', async () => {
    const base = url.replace(/\/graphql$/, '');
    for (const path of ['/health', '/ready', '/metrics']) expect((await fetch(`${base}${path}`)).status).toBe(200);
  });
});

describe('graphql-ws answers only the router secret', () => {
  /** The close event of a connection that was refused, or the first result of one that was not. */
  async function subscribe(params: Record<string, string>, query = 'subscription { tick { value } }') {
    const client = wsClient(url, params);
    try {
      return { result: await client.iterate({ query }).next() };
    } catch (closed) {
      return { closed: closed as { code: number; reason: string } };
    } finally {
      await client.dispose();
    }
  }

  test('a valid user token without the secret: the socket closes with 4403 naming the router', async () => {
    const { closed } = await subscribe(await userHeaders());
    expect(closed).toMatchObject({ code: 4403, reason: expect.stringMatching(/^ROUTER_SECRET_REQUIRED: .*router/) });
  });

  test('the secret in connectionParams (as the router sends it) subscribes', async () => {
    const { result } = await subscribe({ ...router, ...(await userHeaders()) });
    expect(result).toEqual({ done: false, value: { data: { tick: { value: 1 } } } });
  });

  test("an event's failed field is formatted as over HTTP: an internal error says nothing of its statement, a coded one keeps its code", async () => {
    const { result } = await subscribe({ ...router }, 'subscription { tick { value broken refused } }');
    expect(result!.value).toEqual({
      data: { tick: { value: 1, broken: null, refused: null } },
      errors: [
        { message: 'Internal server error. It has been logged; try again later.', locations: expect.any(Array), path: ['tick', 'broken'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        { message: 'Not yours.', locations: expect.any(Array), path: ['tick', 'refused'], extensions: { code: 'FORBIDDEN' } },
      ],
    });
  });

  test('a bad token with the secret still closes with 4403', async () => {
    const { closed } = await subscribe({ ...router, authorization: 'Bearer not.a.token' });
    expect(closed).toMatchObject({ code: 4403, reason: 'Forbidden' });
  });

  test('a bare graphql-ws connection_init without the secret is closed with the reason', async () => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    const [code, reason] = (await once(socket, 'close')) as [number, Buffer];
    expect(code).toBe(4403);
    expect(String(reason)).toMatch(/^ROUTER_SECRET_REQUIRED/);
  });
});

describe('second-line limits, with the secret', () => {
  test(`depth: ${SUBGRAPH_LIMITS.maxDepth} levels pass, one more is refused`, async () => {
    expect((await post(url, `{ ${nested(SUBGRAPH_LIMITS.maxDepth)} }`, {}, router)).status).toBe(200);
    const deep = await post(url, `{ ${nested(SUBGRAPH_LIMITS.maxDepth + 1)} }`, {}, router);
    expect(deep.status).toBe(400);
    expect(deep.errors![0]).toMatchObject({
      message: expect.stringContaining(`limit of ${SUBGRAPH_LIMITS.maxDepth} levels`),
      extensions: { code: 'SUBGRAPH_MAX_DEPTH_EXCEEDED', limit: SUBGRAPH_LIMITS.maxDepth },
    });
  });

  test(`aliases: ${SUBGRAPH_LIMITS.maxAliases} pass, one more is refused`, async () => {
    const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: whoAmI`).join(' ')} }`;
    expect((await post(url, aliased(SUBGRAPH_LIMITS.maxAliases), {}, router)).status).toBe(200);
    const over = await post(url, aliased(SUBGRAPH_LIMITS.maxAliases + 1), {}, router);
    expect(over.status).toBe(400);
    expect(over.errors![0]).toMatchObject({
      message: expect.stringContaining(`limit of ${SUBGRAPH_LIMITS.maxAliases} aliases`),
      extensions: { code: 'SUBGRAPH_MAX_ALIASES_EXCEEDED', limit: SUBGRAPH_LIMITS.maxAliases },
    });
  });

  test('_entities representations are counted over the whole request', async () => {
    const max = SUBGRAPH_LIMITS.maxEntityRepresentations;
    const full = await post(url, ENTITIES, { representations: representations(max) }, router);
    expect(full.data!._entities).toHaveLength(max);
    const over = await post(url, ENTITIES, { representations: representations(max + 1) }, router);
    expect(over.errors![0]).toMatchObject({ message: expect.stringContaining(`limit of ${max}`), extensions: { code: 'SUBGRAPH_MAX_ENTITIES_EXCEEDED', limit: max } });
    // Two fields of half the limit each and one more: over, though neither field is alone.
    const split = await post(
      url,
      'query($a: [_Any!]!, $b: [_Any!]!) { a: _entities(representations: $a) { __typename } b: _entities(representations: $b) { __typename } }',
      { a: representations(max / 2), b: representations(max / 2 + 1) },
      router,
    );
    expect(split.errors![0].extensions!.code).toBe('SUBGRAPH_MAX_ENTITIES_EXCEEDED');
  });

  test('a body over the limit is refused with 413', async () => {
    const response = await post(url, `{ whoAmI } #${'x'.repeat(SUBGRAPH_LIMITS.maxBodyBytes)}`, {}, router);
    expect(response.status).toBe(413);
    expect(response.errors![0].extensions!.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('over graphql-ws too', async () => {
    const client = wsClient(url, router);
    try {
      const subscribe = (query: string) => client.iterate({ query }).next();
      await expect(subscribe(`subscription { ${nested(SUBGRAPH_LIMITS.maxDepth, 'tick')} }`)).resolves.toMatchObject({ value: { data: { tick: { child: {} } } } });
      await expect(subscribe(`subscription { ${nested(SUBGRAPH_LIMITS.maxDepth + 1, 'tick')} }`)).rejects.toEqual([
        expect.objectContaining({ extensions: { code: 'SUBGRAPH_MAX_DEPTH_EXCEEDED', limit: SUBGRAPH_LIMITS.maxDepth } }),
      ]);
      const aliased = `subscription { tick { ${Array.from({ length: SUBGRAPH_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: value`).join(' ')} } }`;
      await expect(subscribe(aliased)).rejects.toEqual([
        expect.objectContaining({ extensions: { code: 'SUBGRAPH_MAX_ALIASES_EXCEEDED', limit: SUBGRAPH_LIMITS.maxAliases } }),
      ]);
    } finally {
      await client.dispose();
    }
  });
});
