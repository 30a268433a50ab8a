/** The default runtime: runs execute in this process, in memory, with no persistence. */
import { WorkflowRuntimeError } from "../errors.js";
import type { RunAdapter, RunInfo, Runtime } from "./adapter.js";
import { type Clock, systemClock } from "./clock.js";

/** Options of {@link InMemoryRuntime}. */
export interface InMemoryRuntimeOptions {
  /** Time and timers. @default the system clock */
  clock?: Clock;
}

/** Runs workflows in this process. Run ids must be unique among its active runs. */
export class InMemoryRuntime implements Runtime {
  readonly name = "in-memory";
  readonly clock: Clock;
  readonly #active = new Set<string>();

  constructor(options: InMemoryRuntimeOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  beginRun(info: RunInfo): RunAdapter {
    if (this.#active.has(info.runId)) {
      throw new WorkflowRuntimeError(
        `Workflow run with runId \`${info.runId}\` already exists. Use another runId, or wait until that run has ended.`,
      );
    }
    this.#active.add(info.runId);
    return {
      clock: this.clock,
      onEnd: () => {
        this.#active.delete(info.runId);
      },
    };
  }

  /** The ids of the runs in progress. */
  get activeRunIds(): readonly string[] {
    return [...this.#active];
  }
}

/** The runtime used when a workflow names none. */
export const defaultRuntime: Runtime = new InMemoryRuntime();
