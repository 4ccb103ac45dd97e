/**
 * The four subgraphs of the classic federation demo (products, inventory, reviews, accounts), as
 * the federation-benchmarks compare gateways with, on deterministic data: 60 products with 4
 * reviews each, written by 48 users (5 reviews each), so that every run answers the same bytes.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';

export type SubgraphName = 'accounts' | 'products' | 'inventory' | 'reviews';

export interface SubgraphDefinition {
  name: SubgraphName;
  typeDefs: string;
  resolvers: GraphQLResolverMap<unknown>;
}

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides", "@shareable"])';

const PRODUCTS = 60;
const USERS = 48;
const REVIEWS_PER_PRODUCT = 4;

interface User {
  id: string;
  name: string;
  username: string;
}

interface Product {
  upc: string;
  name: string;
  price: number;
  weight: number;
}

interface Review {
  id: string;
  body: string;
  authorId: string;
  productUpc: string;
}

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth'];
const OPINIONS = [
  'Sturdy and well made; it arrived a day early.',
  'Does what it says, although the manual is thin.',
  'Too heavy for what it is, but the finish is lovely.',
  'Bought a second one for the office after a week.',
  'Stopped working after a month; support replaced it at once.',
];

const users: User[] = Array.from({ length: USERS }, (_, i) => ({
  id: String(i + 1),
  name: `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[i % LAST_NAMES.length]}`,
  username: `@user${i + 1}`,
}));

// Spread-out prices and weights, so that shippingEstimate (free over 1000) takes both branches.
const products: Product[] = Array.from({ length: PRODUCTS }, (_, i) => ({
  upc: String(i + 1),
  name: `Product ${i + 1}`,
  price: ((i + 1) * 397) % 1900 + 100,
  weight: ((i + 1) * 131) % 900 + 100,
}));

const reviews: Review[] = Array.from({ length: PRODUCTS * REVIEWS_PER_PRODUCT }, (_, i) => ({
  id: String(i + 1),
  body: `Review ${i + 1}: ${OPINIONS[i % OPINIONS.length]}`,
  authorId: users[i % USERS].id,
  productUpc: products[Math.floor(i / REVIEWS_PER_PRODUCT)].upc,
}));

const byKey = <T, K extends keyof T>(items: T[], key: K) => new Map(items.map((item) => [item[key], item]));
const groupBy = <T>(items: T[], key: (item: T) => string) => {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
};

const usersById = byKey(users, 'id');
const productsByUpc = byKey(products, 'upc');
const reviewsByAuthor = groupBy(reviews, (review) => review.authorId);
const reviewsByProduct = groupBy(reviews, (review) => review.productUpc);

export const SUBGRAPHS: readonly SubgraphDefinition[] = [
  {
    name: 'accounts',
    typeDefs: `${LINK}
      type Query { me: User }
      type User @key(fields: "id") { id: ID! name: String username: String @shareable }`,
    resolvers: {
      Query: { me: () => users[0] },
      User: { __resolveReference: (ref: { id: string }) => usersById.get(ref.id) ?? null },
    },
  },
  {
    name: 'products',
    typeDefs: `${LINK}
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`,
    resolvers: {
      Query: { topProducts: (_: unknown, args: { first: number }) => products.slice(0, args.first) },
      Product: { __resolveReference: (ref: { upc: string }) => productsByUpc.get(ref.upc) ?? null },
    },
  },
  {
    name: 'inventory',
    typeDefs: `${LINK}
      type Product @key(fields: "upc") {
        upc: String!
        weight: Int @external
        price: Int @external
        inStock: Boolean
        shippingEstimate: Int @requires(fields: "price weight")
      }`,
    resolvers: {
      // The reference carries price and weight: the gateway fetched them for @requires.
      Product: {
        __resolveReference: (ref: Pick<Product, 'upc' | 'price' | 'weight'>) => ref,
        inStock: (product: Product) => Number(product.upc) % 4 !== 0,
        shippingEstimate: (product: Product) => (product.price > 1000 ? 0 : Math.round(product.weight / 2)),
      },
    },
  },
  {
    name: 'reviews',
    typeDefs: `${LINK}
      type Review @key(fields: "id") {
        id: ID!
        body: String
        author: User @provides(fields: "username")
        product: Product
      }
      type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
      type Product @key(fields: "upc") { upc: String! reviews: [Review] }`,
    resolvers: {
      Review: {
        // The demo's reviews service keeps the usernames it @provides.
        author: (review: Review) => ({ id: review.authorId, username: usersById.get(review.authorId)!.username }),
        product: (review: Review) => ({ upc: review.productUpc }),
      },
      User: { reviews: (user: { id: string }) => reviewsByAuthor.get(user.id) ?? [] },
      Product: { reviews: (product: { upc: string }) => reviewsByProduct.get(product.upc) ?? [] },
    },
  },
];
