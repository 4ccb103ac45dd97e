import { serve } from "../../support/suite";
import a from "./a.subgraph";
import b from "./b.subgraph";
import test from "./test";

export default serve("requires-with-argument-conflict", [a, b], test);
