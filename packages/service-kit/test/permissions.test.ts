import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse } from 'graphql';
import { allow, deny, rule, type IRules } from 'graphql-shield';
import { protectSchema } from '@dorandoran/service-kit';

/** protectSchema: shield's answers, with only the fields a rule other than `allow` guards wrapped. */
const typeDefs = `
  type Query { open: String, guarded: String, unlisted: String, failing: String, room(id: ID!): Room, rooms: [Room!]! }
  type Room { id: ID!, title: String, secret: String }
`;
const rooms = [
  { id: 'mine', title: 'Mine', secret: 's1' },
  { id: 'theirs', title: 'Theirs', secret: 's2' },
];
const open = () => 'anyone';
const resolvers = {
  Query: { open, guarded: () => 'members only', unlisted: () => 'never', failing: () => 'never', room: (_: unknown, { id }: { id: string }) => rooms.find((room) => room.id === id), rooms: () => rooms },
};

let roomRuleRuns = 0;
const isMyRoom = rule({ cache: 'no_cache' })((room: { id: string }) => {
  roomRuleRuns += 1;
  return room.id === 'mine';
});
const rules: IRules = {
  Query: {
    '*': deny,
    open: allow,
    guarded: rule({ cache: 'no_cache' })(() => false),
    room: allow,
    rooms: allow,
    failing: rule({ cache: 'no_cache' })(async () => {
      throw new Error('Knex: Timeout acquiring a connection. The pool is probably full.');
    }),
  },
  Room: isMyRoom,
};
const schema = protectSchema(buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers }), rules);
const run = (source: string) => graphql({ schema, source, contextValue: {} });
const codes = (result: Awaited<ReturnType<typeof run>>) => result.errors?.map((error) => error.extensions?.code);

test('an allowed field keeps its own resolver; a guarded one is wrapped', () => {
  expect(schema.getQueryType()!.getFields().open.resolve).toBe(open);
  expect(schema.getQueryType()!.getFields().guarded.resolve).not.toBe(resolvers.Query.guarded);
});

test('a field whose rule says no, or one the type’s wildcard denies, is FORBIDDEN; an allowed one answers', async () => {
  expect(await run('{ open }')).toEqual({ data: { open: 'anyone' } });
  const guarded = await run('{ guarded }');
  expect(guarded.data).toEqual({ guarded: null });
  expect(codes(guarded)).toEqual(['FORBIDDEN']);
  expect(codes(await run('{ unlisted }'))).toEqual(['FORBIDDEN']);
});

test('a rule on a type guards each of its fields, default resolvers too', async () => {
  roomRuleRuns = 0;
  expect(await run('{ room(id: "mine") { id title secret } }')).toEqual({ data: { room: { id: 'mine', title: 'Mine', secret: 's1' } } });
  expect(roomRuleRuns).toBe(3);
  const theirs = await run('{ rooms { title } }');
  expect(theirs.data).toEqual({ rooms: [{ title: 'Mine' }, { title: null }] });
  expect(codes(theirs)).toEqual(['FORBIDDEN']);
});

test('a rule that fails is the field’s failure, not a FORBIDDEN the client would take for an answer', async () => {
  const failed = await run('{ failing open }');
  expect(failed.data).toEqual({ failing: null, open: 'anyone' });
  expect(failed.errors!.map((error) => error.message)).toEqual(['Knex: Timeout acquiring a connection. The pool is probably full.']);
  expect(codes(failed)).not.toContain('FORBIDDEN');
});
