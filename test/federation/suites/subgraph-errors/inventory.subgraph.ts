import { GraphQLError } from "graphql";
import { createSubgraph } from "../../support/suite";
import { products, UNCOUNTED_UPC } from "./data";

export default createSubgraph("inventory", {
  typeDefs: /* GraphQL */ `
    extend schema
      @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

    type Product @key(fields: "upc") {
      upc: String!
      inStock: Int
      warehouse: Warehouse!
    }

    type Warehouse {
      city: String!
    }
  `,
  resolvers: {
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => products.find((p) => p.upc === upc),
      inStock({ upc }: { upc: string }) {
        if (upc === UNCOUNTED_UPC) {
          throw new GraphQLError(`The stock of "${upc}" is being counted`, { extensions: { code: "SERVICE_UNAVAILABLE" } });
        }
        return 5;
      },
      warehouse({ upc }: { upc: string }) {
        if (upc === UNCOUNTED_UPC) {
          throw new GraphQLError(`No warehouse holds "${upc}"`, { extensions: { code: "NOT_FOUND" } });
        }
        return { city: "Seoul" };
      },
    },
  },
});
