/**
 * Observers: one interface told what happens in a run, in order. The trace behind
 * `handler.trace()` and the verbose log are observers; `@stepwise/otel` is another. Every method
 * is optional; a run with no observer pays nothing for them.
 */
import type { StepOutcome, WaiterSpec } from "../control-loop/ticks.js";
import type { Event } from "../events.js";
import type { RunEndStatus, RunInfo } from "./adapter.js";
import type { Invocation } from "./runner.js";

/**
 * The run as observers see it in their run-level calls: its id and workflow, plus notes they
 * keep with it. A note is journaled and snapshotted with the run, so a run resumed from a
 * snapshot or journal (in any process) still has it: `@stepwise/otel` keeps the trace a run
 * belongs to there, to link a resumed run to it.
 */
export interface RunView extends RunInfo {
  readonly annotations: Readonly<Record<string, string>>;
  /** Keeps `value` under `key` with the run (no-op once the run has ended). */
  annotate(key: string, value: string): void;
}

/** What a run ended with, for observers. */
export interface RunEnd {
  readonly status: RunEndStatus;
  /** The run's error (failed, timed out, cancelled), or null. */
  readonly error: unknown;
  /** The stop event, or the engine's terminal event. */
  readonly event: Event | null;
}

/** Told what happens in a run. Exceptions it throws are reported once and otherwise ignored. */
export interface RunObserver {
  /**
   * A run was made: called synchronously inside `run()` (or `recover()`), before it returns, so
   * that an observer sees the caller's context (a tracing span). The run starts later, on a
   * microtask, or once a `numConcurrentRuns` slot frees up.
   */
  runCreated?(run: RunView, resumed: boolean, at: number): void;
  /** The run started, or resumed from a snapshot or journal. */
  runStarted?(run: RunView, resumed: boolean, at: number): void;
  /** A step invocation starts (`invocation.item.attempts` is its retry number). */
  stepStarted?(invocation: Invocation, at: number): void;
  /**
   * Runs the step's code: call `run` exactly once and return what it returns. Lets an observer
   * run the step inside a context of its own (a tracing span).
   */
  wrapStep?(invocation: Invocation, run: () => unknown): unknown;
  /** An invocation ended: with an event, several (a fan-out), none, or a failure (retried when `retryDelayMs` is set). */
  stepEnded?(invocation: Invocation, outcome: StepOutcome, at: number): void;
  /** An invocation parked in `waitForEvent`. */
  waitStarted?(invocation: Invocation, waiter: WaiterSpec, at: number): void;
  /** A waiter resolved (`timedOut` false) or timed out; its step runs again. */
  waitEnded?(run: RunView, step: string, waiterId: string, timedOut: boolean, at: number): void;
  /** A timer of the run fired (run timeout, retry delay, waiter timeout). */
  timerFired?(run: RunView, id: string, at: number): void;
  /** The run put an event on its log. */
  eventPublished?(run: RunView, seq: number, event: Event, internal: boolean, at: number): void;
  /** The run ended, whatever the outcome. */
  runEnded?(run: RunView, end: RunEnd, at: number): void;
}
