/**
 * The router under protection tests: one small subgraph (shop) and the helpers the tests share.
 */
import { createHash } from 'node:crypto';
import { createMemoryPubSub } from '@dorandoran/service-kit';
import { startTestRouter, type TestSubgraph } from '../helpers/router';

const SHOP = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
directive @mark(n: Int) repeatable on FIELD
type Query {
  ping: String
  echo(words: [String!]): Int
  product(id: ID!): Product
  products(first: Int, last: Int): [Product!]!
  productPage(first: Int): ProductPage!
}
type Mutation {
  touch: Int!
  logIn(email: String!): Boolean!
}
type Subscription { ticked(topic: String!): Tick! }
type Tick { id: ID!  product: Product! }
type ProductPage { edges: [ProductEdge!]! }
type ProductEdge { node: Product! }
type Product @key(fields: "id") {
  id: ID!
  name: String!
  parent: Product
  related(first: Int): [Product!]!
}`;

export const pubsub = createMemoryPubSub();
/** How often the resolvers that change something actually ran. */
export const calls = { touch: 0 };

const product = (id: string) => ({ id });
/** Lists are short whatever they are asked for: the cost estimate, not the data, is under test. */
const page = (prefix: string, size: number | undefined, fallback: number) =>
  Array.from({ length: Math.min(size ?? fallback, 3) }, (_, i) => product(`${prefix}${i}`));

export const shop: TestSubgraph = {
  name: 'shop',
  typeDefs: SHOP,
  subscriptions: true,
  resolvers: {
    Query: {
      ping: () => 'pong',
      echo: (_: unknown, { words }: { words?: string[] }) => words?.length ?? 0,
      product: (_: unknown, { id }: { id: string }) => product(id),
      products: (_: unknown, { first, last }: { first?: number; last?: number }) => page('p', first ?? last, 3),
      productPage: (_: unknown, { first }: { first?: number }) => ({ edges: page('e', first, 3).map((node) => ({ node })) }),
    },
    Mutation: {
      touch: () => ++calls.touch,
      logIn: () => true,
    },
    Subscription: {
      ticked: {
        subscribe: (_: unknown, { topic }: { topic: string }) => pubsub.subscribe(`ticks:${topic}`),
        resolve: (tick: unknown) => tick,
      },
    },
    Tick: { product: (tick: { productId: string }) => product(tick.productId) },
    Product: {
      name: ({ id }: { id: string }) => `Product ${id}`,
      parent: ({ id }: { id: string }) => product(`${id}^`),
      related: ({ id }: { id: string }, { first }: { first?: number }) => page(`${id}.`, first, 2),
    },
  },
};

export type TestRouter = Awaited<ReturnType<typeof startTestRouter>>;

export interface Answer {
  status: number;
  headers: Headers;
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

/** POSTs a JSON body (anything: APQ extensions, padding) and returns status, headers and body. */
export async function send(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, ...((await response.json()) as Omit<Answer, 'status' | 'headers'>) };
}

export const query = (url: string, text: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  send(url, { query: text, variables }, headers);

/** An X-Forwarded-For header, as the one proxy in front of the router (TRUST_PROXY_HOPS=1) writes it. */
export const from = (ip: string) => ({ 'x-forwarded-for': ip });

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A refused operation: the status, one error with this code, no data. */
export function expectRefused(answer: Answer, status: number, code: string) {
  expect({ status: answer.status, code: answer.errors?.[0]?.extensions?.code }).toEqual({ status, code });
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors).toHaveLength(1);
}

export function expectPassed(answer: Answer) {
  expect(answer.errors).toBeUndefined();
  expect(answer.status).toBe(200);
  expect(answer.data).toBeTruthy();
}

// Operation shapes, each sized by how close to a limit it is.

