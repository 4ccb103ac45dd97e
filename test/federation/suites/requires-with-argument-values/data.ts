export const products = [
  { upc: "p1", sizeInCm: 100, stock: { seoul: 3, busan: 7 } },
  // A download: no size, and none in stock in Seoul. Zero values must reach the requiring subgraph too.
  { upc: "p2", sizeInCm: 0, stock: { seoul: 0, busan: 1 } },
];

export const CM_PER_INCH = 2.5;
