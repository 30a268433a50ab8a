/**
 * A run's state written as snapshot JSON, field by field. Every field of every state type is
 * listed below with how it is written, so a field added to the state fails to compile here
 * until the snapshot carries it (or says why it need not).
 */
import type {
  CollectBuffer,
  Gathered,
  JoinEntry,
  RunState,
  StepRunState,
  StreamState,
  TimerState,
  Waiter,
  Worker,
} from "./control-loop/run-state.js";
import type { ErrorInfo, EventRecord, Scope, TimedTick, WorkItem } from "./control-loop/ticks.js";
import { encodeValue } from "./event-codec.js";

/** How a field reaches the snapshot: written, or derived again when read (never trusted). */
type Carried = "written" | "derived";

const RUN_FIELDS = {
  version: "written",
  status: "written",
  config: "derived", // from the workflow that reads the snapshot
  startedAt: "written",
  lastEventId: "written",
  lastInvocation: "written",
  lastTimer: "written",
  steps: "written",
  timers: "written",
  streams: "written",
  lastStream: "written",
  annotations: "written",
  active: "derived",
  queued: "derived",
  retriesPending: "derived",
  waiting: "derived",
  idleCheckPending: "derived", // reset by `resume`
  idleNotified: "derived",
} as const satisfies Record<keyof RunState, Carried>;
const STEP_FIELDS = {
  queue: "written", // from `queueHead` on
  queueHead: "derived",
  workers: "written",
  collected: "written",
  waiters: "written",
  joined: "written",
} as const satisfies Record<keyof StepRunState, Carried>;
const ITEM_FIELDS = {
  event: "written",
  attempts: "written",
  firstAttemptAt: "written",
  lastError: "written",
  lastFailedAt: "written",
  recoveries: "written",
  rerun: "written",
  scope: "written",
  batch: "written",
} as const satisfies Record<keyof WorkItem, Carried>;
const OTHER_FIELDS = {
  worker: { item: "written", invocation: "written", taken: "written" },
  waiter: {
    id: "written",
    eventType: "written",
    requirements: "written",
    item: "written",
    resolved: "written",
    timedOut: "written",
    timerId: "written",
  },
  join: { event: "written", recoveries: "written", scope: "written" },
  stream: {
    source: "written",
    scope: "written",
    origin: "written",
    recoveries: "written",
    open: "written",
    gathered: "written",
  },
  gathered: { events: "written", released: "written" },
  record: { id: "written", type: "written", role: "written", value: "written" },
  error: { name: "written", message: "written", value: "written" },
  timer: { dueAt: "written", tick: "written" },
} as const satisfies {
  worker: Record<keyof Worker, Carried>;
  waiter: Record<keyof Waiter, Carried>;
  join: Record<keyof JoinEntry, Carried>;
  stream: Record<keyof StreamState, Carried>;
  gathered: Record<keyof Gathered, Carried>;
  record: Record<keyof EventRecord, Carried>;
  error: Record<keyof ErrorInfo, Carried>;
  timer: Record<keyof TimerState, Carried>;
};
void [RUN_FIELDS, STEP_FIELDS, ITEM_FIELDS, OTHER_FIELDS];

/**
 * A run's state as JSON: each queue without its taken prefix, and without the counters, which
 * the reader derives. @throws {@link SnapshotError} (`unserializable`) naming the event field.
 */
export function encodeRunState(state: RunState): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const [name, step] of Object.entries(state.steps)) steps[name] = encodeStep(step);
  const timers: Record<string, unknown> = {};
  for (const [id, timer] of Object.entries(state.timers)) {
    timers[id] = { dueAt: timer.dueAt, tick: encodeTick(timer.tick) };
  }
  const streams: Record<string, unknown> = {};
  for (const [id, stream] of Object.entries(state.streams)) streams[id] = encodeStream(stream);
  return {
    version: 1,
    status: state.status,
    startedAt: state.startedAt,
    lastEventId: state.lastEventId,
    lastInvocation: state.lastInvocation,
    lastTimer: state.lastTimer,
    steps,
    timers,
    streams,
    lastStream: state.lastStream,
    ...(state.annotations ? { annotations: { ...state.annotations } } : {}),
  };
}

function encodeStep(step: StepRunState): Record<string, unknown> {
  const queue: unknown[] = [];
  for (let i = step.queueHead; i < step.queue.length; i++) {
    queue.push(encodeItem(step.queue[i] as WorkItem));
  }
  const workers: unknown[] = [];
  for (let id = 0; id < step.workers.length; id++) {
    const worker = step.workers[id];
    workers.push(
      worker
        ? {
            item: encodeItem(worker.item),
            invocation: worker.invocation,
            taken: worker.taken && encodeBuffers(worker.taken),
          }
        : null,
    );
  }
  return {
    queue,
    queueHead: 0,
    workers,
    collected: encodeBuffers(step.collected),
    waiters: step.waiters.map(encodeWaiter),
    joined: step.joined.map((entry) => ({
      event: encodeRecord(entry.event),
      recoveries: entry.recoveries && { ...entry.recoveries },
      scope: entry.scope && encodeScope(entry.scope),
    })),
  };
}

function encodeWaiter(waiter: Waiter): Record<string, unknown> {
  return {
    id: waiter.id,
    eventType: waiter.eventType,
    requirements: waiter.requirements && encodeValue(waiter.requirements),
    item: encodeItem(waiter.item),
    resolved: waiter.resolved && encodeRecord(waiter.resolved),
    timedOut: waiter.timedOut,
    timerId: waiter.timerId,
  };
}

function encodeTick(tick: TimedTick): Record<string, unknown> {
  switch (tick.type) {
    case "requeue":
      return { type: tick.type, step: tick.step, item: encodeItem(tick.item) };
    case "runTimeout":
      return { type: tick.type, timeoutMs: tick.timeoutMs };
    case "waiterTimeout":
      return { type: tick.type, step: tick.step, waiterId: tick.waiterId };
  }
}

function encodeStream(stream: StreamState): Record<string, unknown> {
  const gathered: Record<string, unknown> = {};
  for (const [step, entry] of Object.entries(stream.gathered)) {
    gathered[step] = {
      events: entry.events.map((e) => ({ index: e.index, event: encodeRecord(e.event) })),
      released: entry.released,
    };
  }
  return {
    source: stream.source,
    scope: stream.scope && encodeScope(stream.scope),
    origin: encodeRecord(stream.origin),
    recoveries: stream.recoveries && { ...stream.recoveries },
    open: stream.open,
    gathered,
  };
}

function encodeScope(scope: Scope): unknown[] {
  return scope.map((entry) => ({ stream: entry.stream, index: entry.index }));
}

function encodeRecord(record: EventRecord): Record<string, unknown> {
  return { id: record.id, type: record.type, role: record.role, value: encodeValue(record.value) };
}

function encodeItem(item: WorkItem): Record<string, unknown> {
  const out: Record<string, unknown> = {
    event: encodeRecord(item.event),
    attempts: item.attempts,
    firstAttemptAt: item.firstAttemptAt,
    lastError: item.lastError && encodeErrorInfo(item.lastError),
    lastFailedAt: item.lastFailedAt,
    recoveries: item.recoveries && { ...item.recoveries },
  };
  if (item.rerun !== undefined) out.rerun = item.rerun;
  if (item.scope !== undefined) out.scope = encodeScope(item.scope);
  if (item.batch !== undefined) out.batch = item.batch.map(encodeRecord);
  return out;
}

function encodeErrorInfo(info: ErrorInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { name: info.name, message: info.message };
  if (info.value !== undefined) out.value = encodeValue(info.value);
  return out;
}

function encodeBuffers(
  buffers: Record<string, CollectBuffer>,
): Record<string, Record<string, unknown[]>> {
  const out: Record<string, Record<string, unknown[]>> = {};
  for (const [bufferId, byType] of Object.entries(buffers)) {
    const types: Record<string, unknown[]> = {};
    for (const [type, records] of Object.entries(byType)) types[type] = records.map(encodeRecord);
    out[bufferId] = types;
  }
  return out;
}
