import { serve } from "../../support/suite";
import name from "./name.subgraph";
import price from "./price.subgraph";
import category from "./category.subgraph";
import test from "./test";

export default serve("shared-root", [name, price, category], test);
