import { InMemoryRuntime } from "@stepwise/core";
import { runtimeSuite } from "./runtime-suite.ts";

runtimeSuite("in-memory", () => new InMemoryRuntime());
