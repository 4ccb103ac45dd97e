import { createTest } from "../../support/suite";

export default [
  // The client's unit differs from the one @requires needs: each gets its own.
  createTest(
    /* GraphQL */ `
      query {
        products {
          upc
          dimensions(unit: INCH) {
            size
          }
          shippingEstimate
        }
      }
    `,
    {
      data: {
        products: [
          { upc: "p1", dimensions: { size: 40 }, shippingEstimate: 1000 },
          { upc: "p2", dimensions: { size: 0 }, shippingEstimate: 0 },
        ],
      },
    },
  ),
  // The same through a variable.
  createTest(
    /* GraphQL */ `
      query ($unit: Unit!) {
        products {
          dimensions(unit: $unit) {
            size
          }
          shippingEstimate
        }
      }
    `,
    {
      data: {
        products: [
          { dimensions: { size: 40 }, shippingEstimate: 1000 },
          { dimensions: { size: 0 }, shippingEstimate: 0 },
        ],
      },
    },
    { unit: "INCH" },
  ),
  // The client's arguments are the ones @requires needs.
  createTest(
    /* GraphQL */ `
      query {
        products {
          dimensions(unit: CM) {
            size
          }
          shippingEstimate
        }
      }
    `,
    {
      data: {
        products: [
          { dimensions: { size: 100 }, shippingEstimate: 1000 },
          { dimensions: { size: 0 }, shippingEstimate: 0 },
        ],
      },
    },
  ),
  // The required field alone.
  createTest(
    /* GraphQL */ `
      query {
        products {
          upc
          shippingEstimate
        }
      }
    `,
    {
      data: {
        products: [
          { upc: "p1", shippingEstimate: 1000 },
          { upc: "p2", shippingEstimate: 0 },
        ],
      },
    },
  ),
  // A required scalar whose value is 0, the client asking another warehouse's stock.
  createTest(
    /* GraphQL */ `
      query {
        products {
          upc
          inStock(warehouse: "busan")
          canShip
        }
      }
    `,
    {
      data: {
        products: [
          { upc: "p1", inStock: 7, canShip: true },
          { upc: "p2", inStock: 1, canShip: false },
        ],
      },
    },
  ),
];
