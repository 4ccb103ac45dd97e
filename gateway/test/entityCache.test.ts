import { randomBytes } from 'node:crypto';
import type { GraphQLDataSource } from '@apollo/gateway';
import { createLogger } from '@dorandoran/service-kit';
import Redis from 'ioredis';
import type { RouterContext } from '../src/context';
import { EntityCache, type CacheResult } from '../src/entityCache/entityCache';
import { memoryEntityStore, redisEntityStore, type EntityStore } from '../src/entityCache/stores';
import { freePort } from '@dorandoran/test-support/infra';

/**
 * The entity cache's stores on their own (the router's use of them: test/e2e/entityCache.test.ts):
 * the in-process one and the Redis one keep the same promises.
 */
const redisUrl = process.env.REDIS_URL;
const redis = redisUrl ? new Redis(redisUrl) : undefined;
afterAll(() => redis?.quit());

const stores: [string, () => EntityStore][] = [
  ['in process', () => memoryEntityStore(100)],
  ...(redis ? [['Redis', () => redisEntityStore(redis, `test:entities:${randomBytes(6).toString('hex')}`)] as [string, () => EntityStore]] : []),
];

describe.each(stores)('the %s store', (_name, makeStore) => {
  const alice = { entity: 'users:User:a', selection: 's1' };
  const aliceOther = { entity: 'users:User:a', selection: 's2' };
  const bob = { entity: 'users:User:b', selection: 's1' };

  test('gives back what was stored, per entity and selection, and nothing for what was not', async () => {
    const store = makeStore();
    await store.set([{ ...alice, json: '{"nickname":"Alice"}' }], await store.now(), 60_000);
    expect(await store.get([alice, aliceOther, bob])).toEqual(['{"nickname":"Alice"}', undefined, undefined]);
  });

  test('an invalidated entity loses every selection; a fill that began before the invalidation is not stored', async () => {
    const store = makeStore();
    const fillBegan = await store.now();
    await store.set([{ ...alice, json: '"old"' }, { ...aliceOther, json: '"old 2"' }, { ...bob, json: '"bob"' }], fillBegan, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2));
    await store.invalidate(['users:User:a']);
    expect(await store.get([alice, aliceOther, bob])).toEqual([undefined, undefined, '"bob"']);

    // Began before the invalidation, finished after it: it may hold the replaced value.
    await store.set([{ ...alice, json: '"stale"' }], fillBegan, 60_000);
    expect(await store.get([alice])).toEqual([undefined]);
    await new Promise((resolve) => setTimeout(resolve, 2));
    await store.set([{ ...alice, json: '"fresh"' }], await store.now(), 60_000);
    expect(await store.get([alice])).toEqual(['"fresh"']);
  });

  test('a value is gone once its TTL has passed', async () => {
    const store = makeStore();
    await store.set([{ ...alice, json: '"short"' }], await store.now(), 30);
    await store.set([{ ...bob, json: '"long"' }], await store.now(), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await store.get([alice, bob])).toEqual([undefined, '"long"']);
  });
});

test('the in-process store holds at most its bound, dropping the least recently used', async () => {
  const store = memoryEntityStore(3);
  const lookup = (id: string) => ({ entity: `users:User:${id}`, selection: 's' });
  const since = await store.now();
  await store.set(['a', 'b', 'c'].map((id) => ({ ...lookup(id), json: `"${id}"` })), since, 60_000);
  await store.get([lookup('a')]);
  await store.set([{ ...lookup('d'), json: '"d"' }], since, 60_000);
  expect(store.size).toBe(3);
  expect(await store.get(['a', 'b', 'c', 'd'].map(lookup))).toEqual(['"a"', undefined, '"c"', '"d"']);
});

describe('the cache in front of a subgraph', () => {
  const SUPERGRAPH = `
    directive @viewerIndependent on FIELD_DEFINITION
    type Query { me: User }
    type User { id: ID! @viewerIndependent nickname: String! @viewerIndependent email: String }
  `;
  const PUBLIC = 'query($representations:[_Any!]!){_entities(representations:$representations){...on User{nickname}}}';
  const PRIVATE = 'query($representations:[_Any!]!){_entities(representations:$representations){...on User{nickname email}}}';
  const logger = createLogger('router', 'silent');

  /** A subgraph answering `_entities` from a table, counting the representations it was sent. */
  function usersSubgraph(nicknames: Record<string, string>) {
    const asked: string[][] = [];
    const source: GraphQLDataSource<RouterContext> = {
      async process({ request }) {
        const representations = request.variables!.representations as { id: string }[];
        asked.push(representations.map((representation) => representation.id));
        return {
          data: { _entities: representations.map(({ id }) => (nicknames[id] ? { nickname: nicknames[id], ...(request.query === PRIVATE ? { email: `${id}@example.com` } : {}) } : null)) },
          errors: representations.flatMap(({ id }, index) => (id === 'broken' ? [{ message: 'broken', path: ['_entities', index, 'nickname'] } as never] : [])),
        };
      },
    };
    return { source, asked };
  }

  const ask = (source: GraphQLDataSource<RouterContext>, query: string, ids: string[]) =>
    source.process({ request: { query, variables: { representations: ids.map((id) => ({ __typename: 'User', id })) } }, context: {} as RouterContext, kind: 'incoming operation' as never, incomingRequestContext: {} as never });

  function cacheWith(store: EntityStore) {
    const counts: Partial<Record<CacheResult, number>> = {};
    const cache = new EntityCache({ store, ttlMs: 60_000, logger, counted: (_subgraph, result, count) => void (counts[result] = (counts[result] ?? 0) + count) });
    cache.useSupergraph(SUPERGRAPH);
    return { cache, counts };
  }

  test('fetches only the entities it lacks, and answers in the order asked', async () => {
    const { cache, counts } = cacheWith(memoryEntityStore(100));
    const users = usersSubgraph({ a: 'Alice', b: 'Bob', c: 'Carol' });
    const cached = cache.wrap('users', users.source);
    await ask(cached, PUBLIC, ['b']);
    const answer = await ask(cached, PUBLIC, ['a', 'b', 'c']);
    expect(answer.data).toEqual({ _entities: [{ nickname: 'Alice' }, { nickname: 'Bob' }, { nickname: 'Carol' }] });
    expect(users.asked).toEqual([['b'], ['a', 'c']]);
    expect(counts).toEqual({ hit: 1, miss: 3 });
  });

  test('an error stays at the position the client asked for, and neither it nor a missing entity is cached', async () => {
    const { cache } = cacheWith(memoryEntityStore(100));
    const users = usersSubgraph({ a: 'Alice', broken: 'Broken' });
    const cached = cache.wrap('users', users.source);
    await ask(cached, PUBLIC, ['a']);
    const answer = await ask(cached, PUBLIC, ['a', 'nobody', 'broken']);
    expect(answer.errors?.map((error) => error.path)).toEqual([['_entities', 2, 'nickname']]);
    await ask(cached, PUBLIC, ['a', 'nobody', 'broken']);
    expect(users.asked).toEqual([['a'], ['nobody', 'broken'], ['nobody', 'broken']]);
  });

  test('a fetch with one field not marked @viewerIndependent always goes to the subgraph', async () => {
    const { cache, counts } = cacheWith(memoryEntityStore(100));
    const users = usersSubgraph({ a: 'Alice' });
    const cached = cache.wrap('users', users.source);
    await ask(cached, PRIVATE, ['a']);
    await ask(cached, PRIVATE, ['a']);
    expect(users.asked).toEqual([['a'], ['a']]);
    expect(counts).toEqual({});
  });

  test('a store that cannot be reached costs only the cache: the subgraph answers', async () => {
    const unreachable = new Redis({ port: await freePort(), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    unreachable.on('error', () => undefined);
    const { cache, counts } = cacheWith(redisEntityStore(unreachable, 'test:unreachable'));
    const users = usersSubgraph({ a: 'Alice' });
    const answer = await ask(cache.wrap('users', users.source), PUBLIC, ['a']);
    expect(answer.data).toEqual({ _entities: [{ nickname: 'Alice' }] });
    expect(counts).toEqual({ unavailable: 1 });
    unreachable.disconnect();
  });

  test('after a failure the store is passed by for a while, then asked again', async () => {
    let failing = true;
    const memory = memoryEntityStore(100);
    const flaky: EntityStore = { ...memory, get: (lookups) => (failing ? Promise.reject(new Error('store timed out')) : memory.get(lookups)) };
    const warnings: string[] = [];
    const counts: Partial<Record<CacheResult, number>> = {};
    const cache = new EntityCache({
      store: flaky,
      ttlMs: 60_000,
      retryMs: 300,
      logger: { ...logger, warn: (_fields: unknown, message: string) => void warnings.push(message) } as never,
      counted: (_subgraph, result, count) => void (counts[result] = (counts[result] ?? 0) + count),
    });
    cache.useSupergraph(SUPERGRAPH);
    const users = usersSubgraph({ a: 'Alice' });
    const source = cache.wrap('users', users.source);
    await ask(source, PUBLIC, ['a']);
    failing = false;
    // Within the retry time the store is not asked, even though it could answer now: one warning in all.
    for (let i = 0; i < 3; i++) expect((await ask(source, PUBLIC, ['a'])).data).toEqual({ _entities: [{ nickname: 'Alice' }] });
    expect({ counts, warnings: warnings.length }).toEqual({ counts: { unavailable: 4 }, warnings: 1 });
    await new Promise((resolve) => setTimeout(resolve, 350));
    await ask(source, PUBLIC, ['a']);
    await new Promise((resolve) => setImmediate(resolve));
    await ask(source, PUBLIC, ['a']);
    expect(counts).toEqual({ unavailable: 4, miss: 1, hit: 1 });
    expect(users.asked).toHaveLength(5);
  });
});
