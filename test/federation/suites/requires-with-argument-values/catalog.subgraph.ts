import { createSubgraph } from "../../support/suite";
import { CM_PER_INCH, products } from "./data";

type Product = (typeof products)[number];

export default createSubgraph("catalog", {
  typeDefs: /* GraphQL */ `
    extend schema
      @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

    enum Unit {
      CM
      INCH
    }

    type Query {
      products: [Product!]!
    }

    type Product @key(fields: "upc") {
      upc: String!
      dimensions(unit: Unit!): Dimensions!
      inStock(warehouse: String!): Int!
    }

    type Dimensions {
      size: Float!
    }
  `,
  resolvers: {
    Query: {
      products: () => products,
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => products.find((p) => p.upc === upc),
      dimensions: (product: Product, { unit }: { unit: "CM" | "INCH" }) => ({
        size: unit === "CM" ? product.sizeInCm : product.sizeInCm / CM_PER_INCH,
      }),
      inStock: (product: Product, { warehouse }: { warehouse: "seoul" | "busan" }) => product.stock[warehouse],
    },
  },
});
