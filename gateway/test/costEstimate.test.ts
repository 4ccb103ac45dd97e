import { buildSchema, getOperationAST, parse } from 'graphql';
import { checkOperationLimits } from '../src/protection/operationLimits';

const schema = buildSchema(`
  type Query {
    rooms(first: Int = 20, after: String): RoomConnection!
    tags: [Tag!]!
    room(id: ID!): Room
  }
  type RoomConnection { edges: [RoomEdge!]! }
  type RoomEdge { node: Room! }
  type Room { id: ID! title: String! members: [Member!]! }
  type Member { id: ID! }
  type Tag { name: String! }
`);

const limits = { maxDepth: 12, maxAliases: 15, maxFields: 1000, maxRootFields: 10, maxTokens: 2000, maxDirectivesPerField: 5, maxCost: 100000, defaultListSize: 10 };

const costOf = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  return checkOperationLimits(schema, document, getOperationAST(document)!, variables, limits).cost;
};

describe('the cost estimate', () => {
  test('an object costs 1; scalars are free', () => {
    expect(costOf('{ room(id: "1") { id title } }')).toBe(1);
  });

  test('a connection sizes its edges with first, given or the schema default', () => {
    // rooms 1 + edges 5 + node 5
    expect(costOf('{ rooms(first: 5) { edges { node { id } } } }')).toBe(11);
    // rooms(first: Int = 20): 1 + 20 + 20
    expect(costOf('{ rooms { edges { node { id } } } }')).toBe(41);
  });

  test('nested lists multiply; a list without first/last counts DEFAULT_LIST_SIZE', () => {
    // rooms 1 + edges 5 + nodes 5 + members 5 × 10
    expect(costOf('{ rooms(first: 5) { edges { node { members { id } } } } }')).toBe(61);
    expect(costOf('{ tags { name } }')).toBe(10);
  });

  test('first from a variable, and from the variable default when it is not sent', () => {
    expect(costOf('query($n: Int) { rooms(first: $n) { edges { node { id } } } }', { n: 50 })).toBe(101);
    expect(costOf('query($n: Int = 7) { rooms(first: $n) { edges { node { id } } } }')).toBe(15);
  });

  test('fragments count where they are spread', () => {
    expect(costOf('{ rooms(first: 2) { edges { node { ...R } } } } fragment R on Room { members { id } }')).toBe(25);
  });
});
