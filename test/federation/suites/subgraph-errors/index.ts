import { serve } from "../../support/suite";
import inventory from "./inventory.subgraph";
import products from "./products.subgraph";
import test from "./test";

/** Ours, not the audit's: errors a subgraph raises reach the client at the path of the client's operation. */
export default serve("subgraph-errors", [products, inventory], test);
