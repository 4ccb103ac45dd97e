import { serve } from "../../support/suite";
import a from "./a.subgraph";
import b from "./b.subgraph";
import test from "./test";

export default serve("unavailable-override", [a, b], test);
