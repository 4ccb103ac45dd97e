import { createSubgraph } from "../../support/suite";

export default createSubgraph("shipping", {
  typeDefs: /* GraphQL */ `
    extend schema
      @link(
        url: "https://specs.apollo.dev/federation/v2.3"
        import: ["@key", "@external", "@requires"]
      )

    enum Unit {
      CM
      INCH
    }

    type Product @key(fields: "upc") {
      upc: String!
      dimensions(unit: Unit!): Dimensions! @external
      inStock(warehouse: String!): Int! @external
      "Ten won a centimetre."
      shippingEstimate: Int! @requires(fields: "dimensions(unit: CM) { size }")
      "Ships from Seoul only."
      canShip: Boolean! @requires(fields: "inStock(warehouse: \\"seoul\\")")
    }

    type Dimensions @external {
      size: Float!
    }
  `,
  resolvers: {
    Product: {
      __resolveReference: (representation: unknown) => representation,
      shippingEstimate({ dimensions }: { dimensions?: { size: number } }) {
        if (dimensions === undefined) throw new Error("The representation has no dimensions");
        return dimensions.size * 10;
      },
      canShip({ inStock }: { inStock?: number }) {
        if (inStock === undefined) throw new Error("The representation has no inStock");
        return inStock > 0;
      },
    },
  },
});
