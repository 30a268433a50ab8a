/**
 * The runtime seam: what a runtime implements so that runs execute where it decides, are
 * journaled before their effects are seen, and come back after a crash. See ARCHITECTURE.md
 * beside `packages/core`.
 */
import type { Context } from "../context.js";
import type { RunState } from "../control-loop/run-state.js";
import type { Tick } from "../control-loop/ticks.js";
import type { Event } from "../events.js";
import type { WorkflowHandler } from "../handler.js";
import type { Workflow } from "../workflow.js";
import type { Clock } from "./clock.js";
import type { RunObserver } from "./observer.js";
import type { Runner } from "./runner.js";

/** Facts about a run that a runtime records. */
export interface RunInfo {
  readonly runId: string;
  readonly workflowName: string;
}

/** One tick as the loop applied it, with the time `reduce` was given. */
export interface JournalEntry {
  readonly tick: Tick;
  readonly at: number;
}

/** An event the run put on its log, with its sequence number. */
export interface PublishedEntry {
  readonly seq: number;
  readonly event: Event;
  /** `StepStateChanged`, `WorkflowIdleEvent`, `UnhandledEvent`. */
  readonly internal: boolean;
}

/**
 * What a durable runtime's store of a workflow server's handler records (`@stepwise/server`'s
 * `HandlerStore`) needs of a record: it is kept by these fields, the rest of it as JSON.
 */
export interface HandlerRow {
  readonly handlerId: string;
  readonly workflowName: string;
  readonly runId: string;
  readonly status: string;
}

/** Which handler records a store lists; an absent field does not filter. */
export interface HandlerRowQuery {
  readonly status?: readonly string[];
  readonly workflowName?: readonly string[];
}

/** How a run ended. */
export type RunEndStatus = "completed" | "failed" | "cancelled" | "timedOut";

/**
 * What one drain of the loop did. The runner hands it to the journal before any of it can be
 * seen outside the run: steps it starts are started, subscribers are woken and the run's result
 * is settled only after `append` returns (or its promise resolves).
 */
export interface JournalBatch {
  readonly entries: readonly JournalEntry[];
  /** What the batch published, in sequence order. */
  readonly published: readonly PublishedEntry[];
  /** Set when the run ended in this batch. */
  readonly ended: RunEndStatus | null;
}

/** Where a run's batches go. A runtime with no journal (in memory) passes null. */
export interface RunJournal {
  append(batch: JournalBatch): void | Promise<void>;
}

/** What a runtime gives the runner of one run. */
export interface RunServices {
  readonly clock: Clock;
  readonly journal: RunJournal | null;
  /** Told what happens in the run (besides the workflow's own observers). */
  readonly observers: readonly RunObserver[];
  /**
   * Whether the run's log keeps every event for subscribers that come later, even after the
   * run's in-process reader has left. @default false
   */
  readonly keepEvents?: boolean;
  /** Called once when the run has ended, before its other end listeners (one function for all runs). */
  readonly ended?: (runner: Runner) => void;
}

/** A run as a runtime lists it. */
export interface RunSummary extends RunInfo {
  readonly status: "running" | RunEndStatus;
}

/** What `Workflow.run()` hands its runtime: a run ready to start, new or restored. */
export interface StartRunRequest {
  readonly workflow: Workflow;
  readonly runId: string;
  /** The start event of a new run, or null to resume `state`. */
  readonly startEvent: Event | null;
  /** A fresh state, or one restored from a snapshot or rebuilt from a journal. */
  readonly state: RunState;
  readonly ctx: Context;
  readonly signal?: AbortSignal;
  /** For a rebuilt run: what it had already published (its log continues after them). */
  readonly published?: readonly PublishedEntry[];
  /** For a rebuilt run: the keys of the stream writes its journal holds. */
  readonly replayedWrites?: ReadonlySet<string>;
}

/**
 * Where runs execute. `new MyWorkflow({ runtime })` picks one; the default runs in this process,
 * in memory. A runtime admits runs (duplicate ids, `numConcurrentRuns`), finds and lists them,
 * and recovers the unfinished ones it owns.
 */
export interface Runtime {
  /** A name for messages. */
  readonly name: string;
  /**
   * Admits and starts a run; returns its handler at once.
   * @throws {@link RunAdmissionError} when a run with this id is in progress.
   */
  startRun(request: StartRunRequest): WorkflowHandler;
  /** The handler of a run in progress on this runtime, if any. */
  getRun(runId: string): WorkflowHandler | undefined;
  /** The runs in progress on this runtime. */
  listRuns(): readonly RunSummary[];
  /**
   * Rebuilds and resumes, from its journal, every unfinished run this runtime owns whose
   * workflow is given (matched by name); returns their handlers.
   */
  recover(workflows: readonly Workflow[]): Promise<readonly WorkflowHandler[]>;
}
