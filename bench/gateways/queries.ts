/** The two operations every gateway answers in the bench; each gateway must answer them with the same `data`. */

/** Products → reviews → accounts (username comes with the review, @provides): a 1.9 KB answer. */
export const SMALL_QUERY = `query Small {
  topProducts(first: 3) {
    upc
    name
    price
    reviews {
      id
      body
      author { id username name }
    }
  }
}`;

/**
 * All four subgraphs, the federation-benchmarks' fragments nested two entity hops deep: 30
 * products, their 120 reviews and authors, the authors' 600 reviews and those reviews' products
 * again (with inventory's @requires each time): a 136 KB answer. Its estimated cost (6,630) stays
 * under the router's default MAX_COST, so every operation limit runs at its production default.
 */
export const LARGE_QUERY = `query Large {
  topProducts(first: 30) {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product { ...Product }
        }
      }
    }
  }
}
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }`;

export const QUERIES = { small: SMALL_QUERY, large: LARGE_QUERY } as const;
export type QueryName = keyof typeof QUERIES;
