import { setTimeout as sleep } from 'node:timers/promises';
import { writeFile } from 'node:fs/promises';
import { compose, startTestRouter } from './helpers/router';

const V1 = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { hello: String slow: String }`;
const V2 = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated"])
type Query { hello: String slow: String world: String @authenticated greeting: String }`;

const resolvers = {
  Query: {
    hello: () => 'hello',
    world: () => 'world',
    greeting: () => 'hi',
    slow: async () => {
      await sleep(400);
      return 'slow';
    },
  },
};

describe('supergraph reload', () => {
  let router: Awaited<ReturnType<typeof startTestRouter>>;
  beforeEach(async () => {
    // The subgraph already serves V2's fields; the router learns of them only from the supergraph file.
    router = await startTestRouter([{ name: 'greetings', typeDefs: V2, resolvers }]);
    await writeFile(router.supergraphPath, compose([{ name: 'greetings', typeDefs: V1, url: router.subgraphUrls[0] }]));
    await waitFor(async () => (await router.execute('{ greeting }')).status === 400);
  });
  afterEach(() => router.dispose());

  test('a changed file is served without failing the requests in flight, with its auth directives', async () => {
    const inFlight = router.execute('{ slow hello }');
    await sleep(50);
    await writeFile(router.supergraphPath, compose([{ name: 'greetings', typeDefs: V2, url: router.subgraphUrls[0] }]));
    expect(await inFlight).toMatchObject({ status: 200, data: { slow: 'slow', hello: 'hello' } });

    await waitFor(async () => (await router.execute('{ greeting }')).status === 200);
    expect(await router.execute('{ greeting hello }')).toMatchObject({ data: { greeting: 'hi', hello: 'hello' } });
    // The new supergraph's @authenticated is enforced from the moment it is served.
    const anonymous = await router.execute('{ world hello }');
    expect(anonymous.data).toEqual({ world: null, hello: 'hello' });
    expect(anonymous.errors).toEqual([{ message: expect.any(String), path: ['world'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
  });

  test('a broken file is not loaded: the running supergraph keeps serving', async () => {
    await writeFile(router.supergraphPath, 'this is not a supergraph');
    await sleep(300);
    expect(await router.execute('{ hello }')).toMatchObject({ status: 200, data: { hello: 'hello' } });
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
