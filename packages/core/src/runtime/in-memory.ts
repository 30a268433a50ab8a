/** The default runtime: runs execute in this process, in memory, with no journal. */

import type { Runtime } from "./adapter.js";
import { LocalRuntime, type LocalRuntimeOptions } from "./local-runtime.js";

/** Options of {@link InMemoryRuntime}. */
export type InMemoryRuntimeOptions = LocalRuntimeOptions;

/** Runs workflows in this process. Run ids must be unique among its runs in progress. */
export class InMemoryRuntime extends LocalRuntime {
  override readonly name: string = "in-memory";

  /** The ids of the runs in progress. */
  get activeRunIds(): readonly string[] {
    return this.listRuns().map((run) => run.runId);
  }
}

/** The runtime used when a workflow names none. */
export const defaultRuntime: Runtime = new InMemoryRuntime();
