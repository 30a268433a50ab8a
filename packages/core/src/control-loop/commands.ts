/** Commands: the effects `reduce` asks the runner to perform. Plain data, like ticks. */
import type { ErrorInfo, EventRecord, Recoveries, WorkItem } from "./ticks.js";

export type Command =
  /** Start a worker of `step` on `item`. `invocation` numbers the call within the run. */
  | {
      readonly type: "runWorker";
      readonly step: string;
      readonly workerId: number;
      readonly item: WorkItem;
      readonly invocation: number;
    }
  /** `item` waits in `step`'s queue for a free worker. */
  | { readonly type: "enqueued"; readonly step: string; readonly item: WorkItem }
  /** Put `event` on the run's stream (InputRequired events, waiter events). */
  | { readonly type: "publish"; readonly event: EventRecord }
  /** Put a step's own stream event on the run's stream. */
  | { readonly type: "write"; readonly event: unknown }
  /** A waiter resolved or timed out; its step runs again. */
  | {
      readonly type: "waitEnded";
      readonly step: string;
      readonly waiterId: string;
      readonly timedOut: boolean;
    }
  /** An event reached no step (published as `UnhandledEvent` with `includeInternal`). */
  | { readonly type: "unhandled"; readonly event: EventRecord; readonly step: string | null }
  /** The run went quiet: nothing runs and nothing is queued. */
  | { readonly type: "idle" }
  /** Deliver an `idleCheck` tick once in-flight work from outside has had a chance to land. */
  | { readonly type: "scheduleIdleCheck" }
  /** Arm a timer that delivers `{ type: "timer", id }` at `dueAt` (ms). */
  | { readonly type: "setTimer"; readonly id: string; readonly dueAt: number }
  /** Disarm a timer. */
  | { readonly type: "clearTimer"; readonly id: string }
  /** The answer to a `collect` tick: the events by type, or null if not all have arrived. */
  | {
      readonly type: "collected";
      readonly events: Readonly<Record<string, readonly EventRecord[]>> | null;
    }
  /** Give a `StepFailedEvent` for `failedStep` to the `@catchError` handler `handler`. */
  | {
      readonly type: "recover";
      readonly handler: string;
      readonly failedStep: string;
      readonly item: WorkItem;
      readonly error: ErrorInfo;
      readonly attempts: number;
      readonly elapsedMs: number;
      readonly failedAt: number;
      readonly recoveries: Recoveries;
    }
  /** The run ended with a stop event. */
  | { readonly type: "complete"; readonly event: EventRecord }
  /** The run failed: a step's error with no retry and no recovery left. */
  | {
      readonly type: "fail";
      readonly step: string;
      readonly error: ErrorInfo;
      readonly attempts: number;
      readonly elapsedMs: number;
    }
  /** The run passed its timeout. */
  | {
      readonly type: "timedOut";
      readonly timeoutMs: number | null;
      readonly activeSteps: readonly string[];
    }
  /** The run was cancelled. */
  | { readonly type: "cancelled" };

/** A map from each command type to its handler: a runner that misses one does not compile. */
export type CommandHandlers = {
  [K in Command["type"]]: (command: Extract<Command, { type: K }>) => void;
};
