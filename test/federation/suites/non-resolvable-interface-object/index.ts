import { serve } from "../../support/suite";
import a from "./a.subgraph";
import b from "./b.subgraph";
import test from "./test";

export default serve("non-resolvable-interface-object", [a, b], test);
