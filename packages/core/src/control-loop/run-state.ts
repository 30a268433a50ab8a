/** The state of one run: plain JSON data (event values aside), owned and updated by `reduce`. */
import type { EventRecord, TimedTick, WorkItem } from "./ticks.js";

/** Where a run is in its life. */
export type RunStatus = "idle" | "running" | "completed" | "failed" | "cancelled" | "timedOut";

/** What the loop needs to know about one step. */
export interface StepConfig {
  readonly numWorkers: number;
  /** Set on `@catchError` handlers. */
  readonly maxRecoveries: number | null;
}

/** The static shape of a workflow, as the loop sees it. Derived once from the step table. */
export interface RunConfig {
  readonly steps: Readonly<Record<string, StepConfig>>;
  /** For each event type, the steps that accept it, in declaration order. */
  readonly routes: Readonly<Record<string, readonly string[]>>;
  /** For each step, the `@catchError` handler that owns its failures, if any. */
  readonly catchOwners: Readonly<Record<string, string>>;
}

/** A worker busy with one item. */
export interface Worker {
  item: WorkItem;
  invocation: number;
  /** Events that `collectEvents` handed to this worker: back to the buffer if it fails or waits. */
  taken: Record<string, Record<string, EventRecord[]>> | null;
}

/** A step parked in `waitForEvent`. */
export interface Waiter {
  readonly id: string;
  readonly eventType: string;
  readonly requirements: Readonly<Record<string, unknown>> | null;
  /** The input the step re-runs with once the waiter resolves or times out. */
  readonly item: WorkItem;
  resolved: EventRecord | null;
  timedOut: boolean;
  timerId: string | null;
}

/** One `collectEvents` buffer: event type -> events in arrival order. */
export type CollectBuffer = Record<string, EventRecord[]>;

/** One step's share of the run. */
export interface StepRunState {
  /** FIFO of items waiting for a worker: `queue[queueHead]` is next. */
  queue: WorkItem[];
  /** Index of the queue's first live item; items before it have been taken (O(1) dequeue). */
  queueHead: number;
  /** Busy workers by worker id; `null` is a free slot. */
  workers: (Worker | null)[];
  /** `collectEvents` buffers by buffer id. */
  collected: Record<string, CollectBuffer>;
  waiters: Waiter[];
}

/** A pending timer: what it delivers and when. */
export interface TimerState {
  readonly dueAt: number;
  readonly tick: TimedTick;
}

/** The whole state of a run. */
export interface RunState {
  readonly version: 1;
  status: RunStatus;
  readonly config: RunConfig;
  startedAt: number | null;
  /** The largest event id seen; the runner numbers new events after it. */
  lastEventId: number;
  lastInvocation: number;
  lastTimer: number;
  steps: Record<string, StepRunState>;
  timers: Record<string, TimerState>;
  /** Busy workers over all steps. */
  active: number;
  /** Queued items over all steps. */
  queued: number;
  /** Items waiting on a retry timer. */
  retriesPending: number;
  /** Waiters over all steps. */
  waiting: number;
  idleCheckPending: boolean;
  idleNotified: boolean;
}

/** A fresh state for a run of a workflow with this config. */
export function initialRunState(config: RunConfig): RunState {
  const steps: Record<string, StepRunState> = {};
  for (const name of Object.keys(config.steps)) {
    steps[name] = { queue: [], queueHead: 0, workers: [], collected: {}, waiters: [] };
  }
  return {
    version: 1,
    status: "idle",
    config,
    startedAt: null,
    lastEventId: 0,
    lastInvocation: 0,
    lastTimer: 0,
    steps,
    timers: {},
    active: 0,
    queued: 0,
    retriesPending: 0,
    waiting: 0,
    idleCheckPending: false,
    idleNotified: false,
  };
}

/** The names of the steps that have a busy worker, in declaration order. */
export function activeSteps(state: RunState): string[] {
  const names: string[] = [];
  for (const [name, step] of Object.entries(state.steps)) {
    if (step.workers.some((w) => w !== null)) names.push(name);
  }
  return names;
}
