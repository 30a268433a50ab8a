/**
 * What a runtime provides to the engine. The in-memory runtime is the default; a durable runtime
 * (Postgres through DBOS) implements the same interfaces, journals every tick with `onTick`, and
 * rebuilds a run after a crash by replaying its ticks through `reduce`.
 */
import type { Tick } from "../control-loop/ticks.js";
import type { Clock } from "./clock.js";

/** Facts about a run that a runtime may record. */
export interface RunInfo {
  readonly runId: string;
  readonly workflowName: string;
}

/** The services of a runtime for one run. */
export interface RunAdapter {
  /** Time and timers for the run. */
  readonly clock: Clock;
  /**
   * Called with every tick, in order, with the time `reduce` is given for it, just before it is
   * applied: a journal records both here, and replaying them through `reduce` rebuilds the run.
   */
  onTick?(tick: Tick, now: number): void;
  /** Called once when the run has ended, whatever the outcome. */
  onEnd?(): void;
}

/** Where runs execute. Pass one as `new MyWorkflow({ runtime })`. */
export interface Runtime {
  /** A name for messages. */
  readonly name: string;
  /**
   * Registers a run that is about to start and returns its adapter.
   * @throws {@link WorkflowRuntimeError} when a run with this id is active.
   */
  beginRun(info: RunInfo): RunAdapter;
}
