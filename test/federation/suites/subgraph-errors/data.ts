export const products = [
  { upc: "p1", name: "p-name-1", price: 10 },
  { upc: "p2", name: "p-name-2", price: 20 },
  { upc: "p3", name: "p-name-3", price: 30 },
];

/** The product whose stock the inventory subgraph cannot tell. */
export const UNCOUNTED_UPC = "p2";
