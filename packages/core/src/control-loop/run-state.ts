/** The state of one run: plain JSON data (event values aside), owned and updated by `reduce`. */
import type { EventRecord, Recoveries, Scope, TimedTick, WorkItem } from "./ticks.js";

/** Where a run is in its life. */
export type RunStatus = "idle" | "running" | "completed" | "failed" | "cancelled" | "timedOut";

/** What the loop needs to know about one step. */
export interface StepConfig {
  readonly numWorkers: number;
  /** Set on `@catchError` handlers. */
  readonly maxRecoveries: number | null;
  /**
   * How the step takes its input: one event (absent), the events of a fan-out collection
   * (`collect`, with `take` = fire on the n-th, null = when the collection closes), or one
   * event of each of `accepts` (`join`, in that order).
   */
  readonly collect?: { readonly take: number | null };
  readonly join?: readonly string[];
  /** A step that may return an array of events (a fan-out). */
  readonly fanOut?: boolean;
}

/** The static shape of a workflow, as the loop sees it. Derived once from the step table. */
export interface RunConfig {
  readonly steps: Readonly<Record<string, StepConfig>>;
  /** For each event type, the steps that accept it, in declaration order. */
  readonly routes: Readonly<Record<string, readonly string[]>>;
  /** For each step, the `@catchError` handler that owns its failures, if any. */
  readonly catchOwners: Readonly<Record<string, string>>;
  /** For each `fanOut` step, the `collect` steps its collections are gathered by. */
  readonly bindings: Readonly<Record<string, readonly string[]>>;
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
  /** A `join` step's events waiting for a full set, in arrival order. */
  joined: JoinEntry[];
}

/** An event held by a `join` step, with what the item it would start needs. */
export interface JoinEntry {
  readonly event: EventRecord;
  readonly recoveries: Recoveries | null;
  readonly scope: Scope | null;
}

/** What one `collect` step has gathered of one collection. */
export interface Gathered {
  /** Each event with the index of the fanned-out event it descends from. */
  readonly events: { readonly index: number; readonly event: EventRecord }[];
  released: boolean;
}

/** One open fan-out collection. */
export interface StreamState {
  /** The `fanOut` step that opened it. */
  readonly source: string;
  /** The scope of the item that fanned out (where the gathered events continue). */
  readonly scope: Scope | null;
  /** The event that item ran with, and its recovery counts. */
  readonly origin: EventRecord;
  readonly recoveries: Recoveries | null;
  /** Work items of the collection that have not finished. It closes at 0. */
  open: number;
  /** By `collect` step. */
  readonly gathered: Record<string, Gathered>;
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
  /** Open fan-out collections by id. */
  streams: Record<string, StreamState>;
  lastStream: number;
  /**
   * Notes observers keep with the run (e.g. the trace a run belongs to), so a run resumed from
   * a snapshot or journal, in any process, finds them. Absent until one is written.
   */
  annotations?: Record<string, string>;
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

/**
 * One unused state per workflow config, kept as long as the config. A state and its `steps`
 * table get their shapes through weak transitions (the table adds the step names one by one,
 * and a function that makes one state per run is too cold for V8 to keep a template of its
 * literal). Were they collected between runs (a full GC while no run is alive), the next run's
 * state would get new shapes, and every hot function compiled against the old ones would be
 * deoptimised (see internal/shapes.ts). The sample holds no run's data.
 */
const samples = new WeakMap<RunConfig, RunState>();

/** A fresh state for a run of a workflow with this config. */
export function initialRunState(config: RunConfig): RunState {
  if (!samples.has(config)) samples.set(config, freshState(config));
  return freshState(config);
}

function freshState(config: RunConfig): RunState {
  const steps: Record<string, StepRunState> = {};
  // `for...in` over the config's own keys (a plain object): no array of names per run.
  for (const name in config.steps) {
    steps[name] = {
      queue: [],
      queueHead: 0,
      workers: [],
      collected: {},
      waiters: [],
      joined: [],
    };
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
    streams: {},
    lastStream: 0,
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
