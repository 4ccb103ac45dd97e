import { GraphQLError } from "graphql";
import { createSubgraph } from "../../support/suite";
import { products } from "./data";

export default createSubgraph("products", {
  typeDefs: /* GraphQL */ `
    extend schema
      @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

    type Query {
      products: [Product!]!
      product(upc: String!): Product
      requiredProduct(upc: String!): Product!
    }

    type Product @key(fields: "upc") {
      upc: String!
      name: String!
    }
  `,
  resolvers: {
    Query: {
      products: () => products,
      product(_: unknown, { upc }: { upc: string }) {
        const product = products.find((p) => p.upc === upc);
        if (!product) {
          throw new GraphQLError(`No product "${upc}"`, { extensions: { code: "NOT_FOUND" } });
        }
        return product;
      },
      requiredProduct(_: unknown, { upc }: { upc: string }) {
        const product = products.find((p) => p.upc === upc);
        if (!product) {
          throw new GraphQLError(`No product "${upc}"`, { extensions: { code: "NOT_FOUND" } });
        }
        return product;
      },
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => products.find((p) => p.upc === upc),
    },
  },
});
