import { serve } from "../../support/suite";
import allProducts from "./all-products.subgraph";
import category from "./category.subgraph";
import subcategories from "./subcategories.subgraph";
import test from "./test";

export default serve(
  "nested-provides",
  [allProducts, category, subcategories],
  test,
);
