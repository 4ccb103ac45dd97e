import { serve } from "../../support/suite";
import a from "./a.subgraph";
import b from "./b.subgraph";
import test from "./test";

export default serve("typename", [a, b], test);
