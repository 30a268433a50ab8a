/**
 * What one run did, recorded by the runner as it goes: every event instance and every step
 * invocation, with times and outcomes. `handler.trace()` returns it; `@stepwise/draw` draws it.
 */

/** How a run ended, or that it has not. */
export type TraceStatus = "running" | "completed" | "failed" | "cancelled" | "timedOut";

/** One event instance seen by the run. */
export interface TraceEvent {
  readonly id: number;
  readonly eventType: string;
  /** When it entered the run (epoch ms). */
  readonly at: number;
  /**
   * The invocation that produced it, or null when it came from outside (start, `sendEvent`) or
   * is the engine's own end of the run. A `StepFailedEvent` names the attempt that failed.
   */
  readonly producedBy: string | null;
  /** Whether it was put on the event stream. */
  published: boolean;
}

/** One invocation of a step. */
export interface TraceInvocation {
  /** `"<step>#<n>"`, n counting the run's invocations from 1. */
  readonly id: string;
  readonly stepName: string;
  readonly workerId: number;
  readonly inputEventId: number;
  /**
   * For a `collect` or `join` step: every event the invocation ran with, in the order the step
   * got them (fan-out order for `collect`, `accepts` order for `join`); `inputEventId` is the
   * last to arrive, or the fanned-out input when none did.
   */
  readonly inputEventIds?: readonly number[];
  /** 0 for the first attempt at this input, 1 for the first retry, ... */
  readonly attempt: number;
  readonly startedAt: number;
  endedAt: number | null;
  outcome: "running" | "completed" | "failed" | "retrying" | "waiting" | "cancelled";
  error: string | null;
  /** Ids of the events it returned or sent, and the `StepFailedEvent` sent for it when it failed. */
  readonly emitted: number[];
}

/** The record of one run. */
export interface RunTrace {
  readonly workflowName: string;
  readonly runId: string;
  status: TraceStatus;
  readonly startedAt: number;
  endedAt: number | null;
  readonly events: TraceEvent[];
  readonly invocations: TraceInvocation[];
}
