/**
 * Ticks: every input to the control loop. Each is plain data that survives JSON, so a journal of
 * ticks replayed through `reduce` rebuilds a run's state.
 */
import type { EventRole } from "../events.js";

/**
 * An event inside the loop. `value` is the event object itself (opaque to the reducer, which reads
 * only `type` and `role`, plus the fields a waiter's `requirements` name); in JSON it is
 * `{ type, data }`.
 */
export interface EventRecord {
  readonly id: number;
  readonly type: string;
  readonly role: EventRole;
  readonly value: unknown;
}

/** An error as data: its name and message, plus the original value for re-throwing. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly value?: unknown;
}

/** Recovery counts of an event lineage: how often each `@catchError` handler recovered it. */
export type Recoveries = Readonly<Record<string, number>>;

/**
 * Where a work item sits in nested fan-outs: one entry per open collection, outermost first,
 * with the index of the fanned-out event it descends from. Null outside any fan-out.
 */
export type Scope = readonly { readonly stream: string; readonly index: number }[];

/**
 * One event waiting for (or being processed by) a step, with its retry bookkeeping. Owned by the
 * run state: the reducer updates it in place.
 */
export interface WorkItem {
  event: EventRecord;
  /** Failures so far (0 before the first failure). Never reset for this item. */
  attempts: number;
  /** When the first attempt started (ms), or null before it has run. */
  firstAttemptAt: number | null;
  lastError: ErrorInfo | null;
  lastFailedAt: number | null;
  recoveries: Recoveries | null;
  /** Set when the item runs again after a resume or a wait (a retry shows in `attempts`). */
  rerun?: boolean;
  /** The fan-outs it belongs to; absent outside any. */
  scope?: Scope;
  /** For a `collect` or `join` step: the events it runs with (its `event` is the last of them). */
  batch?: EventRecord[];
}

/** What a step invocation ended with. */
export type StepOutcome =
  | { readonly kind: "event"; readonly event: EventRecord }
  /** A `fanOut` step returned an array: one collection, possibly empty. */
  | { readonly kind: "events"; readonly events: readonly EventRecord[] }
  | { readonly kind: "none" }
  | {
      readonly kind: "failed";
      readonly error: ErrorInfo;
      /** Decided by the runner from the step's retry policy: ms to wait, or null for no retry. */
      readonly retryDelayMs: number | null;
    };

/** A `waitForEvent` registration. */
export interface WaiterSpec {
  readonly id: string;
  readonly eventType: string;
  readonly requirements: Readonly<Record<string, unknown>> | null;
  readonly timeoutMs: number | null;
}

export type Tick =
  /** Begins a run with its start event. */
  | { readonly type: "start"; readonly event: EventRecord; readonly timeoutMs: number | null }
  /** Continues a run restored from a snapshot: in-flight work runs again. */
  | { readonly type: "resume"; readonly timeoutMs: number | null }
  /** An event from a step's `sendEvent`, from outside, or returned by a recovery. */
  | {
      readonly type: "addEvent";
      readonly event: EventRecord;
      /** Deliver only to this step (already checked to exist and accept it). */
      readonly step: string | null;
      readonly recoveries: Recoveries | null;
      /** Set for a recovery (`StepFailedEvent`): the failed item's place in its fan-outs. */
      readonly scope?: Scope | null;
    }
  /** A worker finished. */
  | {
      readonly type: "stepResult";
      readonly step: string;
      readonly workerId: number;
      readonly outcome: StepOutcome;
    }
  /** A step called `collectEvents`; the answer comes back as a `collected` command. */
  | {
      readonly type: "collect";
      readonly step: string;
      readonly workerId: number;
      readonly bufferId: string;
      readonly event: EventRecord;
      /** How many of each event type the step expects. */
      readonly expected: Readonly<Record<string, number>>;
    }
  /** A step called `waitForEvent` for the first time: register the waiter and free the worker. */
  | {
      readonly type: "wait";
      readonly step: string;
      readonly workerId: number;
      readonly waiter: WaiterSpec;
      readonly waiterEvent: EventRecord | null;
    }
  /** A timer set by a `setTimer` command fired. */
  | { readonly type: "timer"; readonly id: string }
  /** The run was cancelled. */
  | { readonly type: "cancel" }
  /** A step misused the engine in a way no retry can mend (its body went on after a wait): the run fails. */
  | { readonly type: "fault"; readonly step: string; readonly error: ErrorInfo }
  /** The engine itself failed: the run fails. */
  | { readonly type: "crash"; readonly error: ErrorInfo }
  /**
   * A step put an event on the stream (`ctx.writeEventToStream`); `event` is the event itself.
   * `key` names the write within its step's attempt (step, input event, attempt, n-th write), so
   * a step that runs again after a crash does not publish what the journal already has.
   */
  | { readonly type: "write"; readonly event: unknown; readonly key?: string }
  /** An observer's note about the run (`run.annotate(key, value)`), kept in the run state. */
  | { readonly type: "annotate"; readonly key: string; readonly value: string }
  /** The run's store after a write (`ctx.store.set`, `edit`, ...); the loop itself ignores it. */
  | { readonly type: "store"; readonly data: unknown }
  /** Deferred check after the run went quiet; publishes `WorkflowIdleEvent` if still quiet. */
  | { readonly type: "idleCheck" };

/** A tick that a timer delivers when it fires. */
export type TimedTick =
  | { readonly type: "requeue"; readonly step: string; readonly item: WorkItem }
  | { readonly type: "runTimeout"; readonly timeoutMs: number }
  | { readonly type: "waiterTimeout"; readonly step: string; readonly waiterId: string };
