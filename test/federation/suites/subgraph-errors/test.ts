import { createTest } from "../../support/suite";

export default [
  // A nullable root field that fails: null, and the error at its path.
  createTest(
    /* GraphQL */ `
      query {
        product(upc: "p9") {
          name
        }
      }
    `,
    {
      data: { product: null },
      errors: [{ path: ["product"], message: 'No product "p9"', code: "NOT_FOUND" }],
    },
  ),
  // A non-null root field that fails takes the whole data with it.
  createTest(
    /* GraphQL */ `
      query {
        requiredProduct(upc: "p9") {
          name
        }
      }
    `,
    {
      data: null,
      errors: [{ path: ["requiredProduct"], message: 'No product "p9"', code: "NOT_FOUND" }],
    },
  ),
  // An entity field that fails in the second subgraph: the error's path is the client's
  // (products.1.inStock), not the _entities path of the fetch.
  createTest(
    /* GraphQL */ `
      query {
        products {
          upc
          inStock
        }
      }
    `,
    {
      data: {
        products: [
          { upc: "p1", inStock: 5 },
          { upc: "p2", inStock: null },
          { upc: "p3", inStock: 5 },
        ],
      },
      errors: [
        {
          path: ["products", 1, "inStock"],
          message: 'The stock of "p2" is being counted',
          code: "SERVICE_UNAVAILABLE",
        },
      ],
    },
  ),
  // A non-null entity field that fails nulls its nearest nullable parent; the list's items are
  // non-null too, so the whole list, and the error keeps the field's path.
  createTest(
    /* GraphQL */ `
      query {
        products {
          upc
          warehouse {
            city
          }
        }
      }
    `,
    {
      data: null,
      errors: [
        {
          path: ["products", 1, "warehouse"],
          message: 'No warehouse holds "p2"',
          code: "NOT_FOUND",
        },
      ],
    },
  ),
  // The same failure under a nullable parent: only that parent becomes null.
  createTest(
    /* GraphQL */ `
      query {
        product(upc: "p2") {
          upc
          warehouse {
            city
          }
        }
      }
    `,
    {
      data: { product: null },
      errors: [
        {
          path: ["product", "warehouse"],
          message: 'No warehouse holds "p2"',
          code: "NOT_FOUND",
        },
      ],
    },
  ),
  // Aliases: the path names the alias the client wrote.
  createTest(
    /* GraphQL */ `
      query {
        second: product(upc: "p2") {
          stock: inStock
        }
        first: product(upc: "p1") {
          stock: inStock
        }
      }
    `,
    {
      data: { second: { stock: null }, first: { stock: 5 } },
      errors: [
        {
          path: ["second", "stock"],
          message: 'The stock of "p2" is being counted',
          code: "SERVICE_UNAVAILABLE",
        },
      ],
    },
  ),
];
