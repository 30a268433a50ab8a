/**
 * The control loop as a pure function: `reduce(state, tick, now)` applies one tick and returns
 * the commands to perform. It never awaits, reads a clock, starts a timer or calls user code;
 * time comes in as `now` (ms). See ARCHITECTURE.md beside this file.
 */
import { WorkflowRuntimeError } from "../errors.js";
import { safeText } from "../internal/describe.js";
import { keepShape } from "../internal/shapes.js";
import { adjust, fanOut, gather, join, stuckCollections } from "./collections.js";
import type { Command } from "./commands.js";
import { enqueue, fill, newItem, returnTaken } from "./queues.js";
import {
  activeSteps,
  type RunState,
  type StepRunState,
  type TimerState,
  type Waiter,
} from "./run-state.js";
import type {
  ErrorInfo,
  EventRecord,
  Recoveries,
  Scope,
  StepOutcome,
  Tick,
  WorkItem,
} from "./ticks.js";

/** The result of one tick: the state (updated in place) and the commands to perform, in order. */
export interface Transition {
  readonly state: RunState;
  readonly commands: Command[];
}

/**
 * Applies one tick to a run. `state` is updated in place and returned, so a loop step costs O(1)
 * however long the queues are; clone it first (`structuredClone`) to keep the old one.
 */
export function reduce(state: RunState, tick: Tick, now: number): Transition {
  const commands: Command[] = [];
  reduceInto(state, tick, now, commands);
  return { state, commands };
}

/**
 * {@link reduce} that appends its commands to `commands` instead of allocating a result: the
 * runner reuses one array per tick on its hot path.
 */
export function reduceInto(state: RunState, tick: Tick, now: number, commands: Command[]): void {
  switch (tick.type) {
    case "start":
      start(state, tick.event, tick.timeoutMs, now, commands);
      break;
    case "resume":
      resume(state, tick.timeoutMs, now, commands);
      break;
    case "addEvent":
      if (state.status === "running") {
        noteEvent(state, tick.event);
        const scope = tick.scope ?? null;
        const made = route(state, tick.event, tick.step, tick.recoveries, scope, now, commands);
        // A recovery takes the failed item's place in its fan-out.
        if (scope && state.status === "running") adjust(state, scope, made - 1, now, commands);
      }
      break;
    case "stepResult":
      stepResult(state, tick.step, tick.workerId, tick.outcome, now, commands);
      break;
    case "collect":
      collect(state, tick, commands);
      break;
    case "wait":
      wait(state, tick, now, commands);
      break;
    case "timer":
      timer(state, tick.id, now, commands);
      break;
    case "cancel":
      // Before the start (`idle`) too: a run cancelled before it started runs no step.
      if (state.status === "running" || state.status === "idle") {
        state.status = "cancelled";
        disarmTimers(state, commands);
        commands.push({ type: "cancelled" });
      }
      break;
    case "store":
      return;
    case "annotate":
      (state.annotations ??= {})[tick.key] = tick.value;
      return;
    case "write":
      if (state.status === "running") commands.push({ type: "write", event: tick.event });
      return;
    case "crash":
      if (state.status === "running" || state.status === "idle") {
        finish(state, commands);
        state.status = "failed";
        commands.push({ type: "fail", step: "", error: tick.error, attempts: 0, elapsedMs: 0 });
      }
      return;
    case "fault":
      if (state.status === "running") {
        finish(state, commands);
        state.status = "failed";
        commands.push({
          type: "fail",
          step: tick.step,
          error: tick.error,
          attempts: 1,
          elapsedMs: 0,
        });
      }
      break;
    case "idleCheck":
      state.idleCheckPending = false;
      if (isQuiet(state)) {
        const stuck = stuckCollections(state);
        if (stuck) {
          const error = { name: "WorkflowRuntimeError", message: stuck.message };
          finish(state, commands);
          state.status = "failed";
          commands.push({ type: "fail", step: stuck.step, error, attempts: 0, elapsedMs: 0 });
          return;
        }
      }
      if (isQuiet(state) && !state.idleNotified) {
        state.idleNotified = true;
        commands.push({ type: "idle" });
      }
      return;
    default:
      assertNever(tick);
  }
  if (isQuiet(state)) {
    if (!state.idleNotified && !state.idleCheckPending) {
      state.idleCheckPending = true;
      commands.push({ type: "scheduleIdleCheck" });
    }
  } else {
    state.idleNotified = false;
  }
}

function assertNever(value: never): never {
  throw new WorkflowRuntimeError("unknownTick", { received: safeText(value) });
}

function isQuiet(state: RunState): boolean {
  return (
    state.status === "running" &&
    state.active === 0 &&
    state.queued === 0 &&
    state.retriesPending === 0
  );
}

function noteEvent(state: RunState, event: EventRecord): void {
  if (event.id > state.lastEventId) state.lastEventId = event.id;
}

function start(
  state: RunState,
  event: EventRecord,
  timeoutMs: number | null,
  now: number,
  commands: Command[],
): void {
  if (state.status !== "idle") return;
  state.status = "running";
  state.startedAt = now;
  armRunTimeout(state, timeoutMs, now, commands);
  noteEvent(state, event);
  route(state, event, null, null, null, now, commands);
}

// The shape of a run's `timers` once its timeout is armed outlives every run (see
// internal/shapes.ts): `armRunTimeout` is on the path of every run's start.
keepShape({} as Record<string, TimerState>).timeout = {
  dueAt: 0.5,
  tick: { type: "runTimeout", timeoutMs: 60_000 },
};

function armRunTimeout(
  state: RunState,
  timeoutMs: number | null,
  now: number,
  commands: Command[],
): void {
  // Deleting a property the object lacks still takes V8's slow path: look first.
  if (state.timers.timeout !== undefined) delete state.timers.timeout;
  if (timeoutMs === null) return;
  state.timers.timeout = { dueAt: now + timeoutMs, tick: { type: "runTimeout", timeoutMs } };
  commands.push({ type: "setTimer", id: "timeout", dueAt: now + timeoutMs });
}

/** In-flight items go back to the head of their queues and run again; timers are re-armed. */
function resume(state: RunState, timeoutMs: number | null, now: number, commands: Command[]): void {
  if (state.status === "completed" || state.status === "failed") return;
  state.status = "running";
  state.startedAt ??= now;
  state.idleCheckPending = false;
  state.idleNotified = false;
  for (const step of Object.values(state.steps)) {
    const interrupted: WorkItem[] = [];
    for (const worker of step.workers) {
      if (!worker) continue;
      returnTaken(step, worker.taken);
      worker.item.rerun = true;
      interrupted.push(worker.item);
    }
    step.workers = [];
    step.queue = interrupted.concat(step.queue.slice(step.queueHead));
    step.queueHead = 0;
  }
  state.active = 0;
  state.queued = 0;
  for (const step of Object.values(state.steps)) state.queued += step.queue.length;
  for (const [id, timer] of Object.entries(state.timers)) {
    if (timer.tick.type !== "runTimeout")
      commands.push({ type: "setTimer", id, dueAt: timer.dueAt });
  }
  armRunTimeout(state, timeoutMs, now, commands);
  for (const name of Object.keys(state.steps)) fill(state, name, now, commands);
}

/**
 * Delivers an event to every step that accepts it (or to `target`), to the waiters it resolves,
 * to `collect` and `join` steps' buffers. Returns how many work items it started (for the count
 * of the fan-out collection the event belongs to).
 */
function route(
  state: RunState,
  event: EventRecord,
  target: string | null,
  recoveries: Recoveries | null,
  scope: Scope | null,
  now: number,
  commands: Command[],
): number {
  if (event.role === "stop") {
    finish(state, commands);
    state.status = "completed";
    commands.push({ type: "complete", event });
    return 0;
  }
  let resolvedSteps: Set<string> | null = null;
  if (state.waiting > 0) resolvedSteps = resolveWaiters(state, event, target, now, commands);
  const steps = target !== null ? [target] : state.config.routes[event.type];
  let delivered = resolvedSteps !== null && resolvedSteps.size > 0;
  let made = 0;
  if (steps) {
    for (const name of steps) {
      if (resolvedSteps?.has(name)) continue;
      const config = state.config.steps[name];
      if (config?.collect) {
        if (gather(state, name, event, scope, now, commands)) delivered = true;
        continue;
      }
      delivered = true;
      if (config?.join) {
        if (join(state, name, config.join, event, recoveries, scope, now, commands)) made++;
        continue;
      }
      enqueue(state, name, newItem(event, recoveries, scope), now, commands, config?.numWorkers);
      made++;
    }
  }
  if (event.role === "inputRequired") commands.push({ type: "publish", event });
  else if (!delivered) commands.push({ type: "unhandled", event, step: target });
  return made;
}

function matches(waiter: Waiter, event: EventRecord): boolean {
  if (waiter.resolved || waiter.timedOut || waiter.eventType !== event.type) return false;
  if (!waiter.requirements) return true;
  const fields = event.value as Record<string, unknown>;
  for (const [key, expected] of Object.entries(waiter.requirements)) {
    if (fields[key] !== expected) return false;
  }
  return true;
}

/** Resolves every waiter the event matches; their steps re-run with their original input. */
function resolveWaiters(
  state: RunState,
  event: EventRecord,
  target: string | null,
  now: number,
  commands: Command[],
): Set<string> {
  const resolved = new Set<string>();
  for (const [name, step] of Object.entries(state.steps)) {
    if (target !== null && name !== target) continue;
    for (const waiter of step.waiters) {
      if (!matches(waiter, event)) continue;
      waiter.resolved = event;
      if (waiter.timerId) {
        delete state.timers[waiter.timerId];
        commands.push({ type: "clearTimer", id: waiter.timerId });
        waiter.timerId = null;
      }
      resolved.add(name);
      commands.push({ type: "waitEnded", step: name, waiterId: waiter.id, timedOut: false });
      waiter.item.rerun = true;
      enqueue(state, name, waiter.item, now, commands);
    }
  }
  return resolved;
}

function stepResult(
  state: RunState,
  name: string,
  workerId: number,
  outcome: StepOutcome,
  now: number,
  commands: Command[],
): void {
  if (state.status !== "running") return;
  const step = state.steps[name];
  const worker = step?.workers[workerId];
  if (!step || !worker) return;
  step.workers[workerId] = null;
  state.active--;
  const item = worker.item;
  const willRetry = outcome.kind === "failed" && outcome.retryDelayMs !== null;
  if (willRetry) returnTaken(step, worker.taken);
  if (step.waiters.length > 0) dropWaitersOf(state, step, item, willRetry);

  const scope = item.scope ?? null;
  switch (outcome.kind) {
    case "event": {
      noteEvent(state, outcome.event);
      const made = route(state, outcome.event, null, item.recoveries, scope, now, commands);
      if (scope && state.status === "running") adjust(state, scope, made - 1, now, commands);
      break;
    }
    case "events": {
      for (const event of outcome.events) noteEvent(state, event);
      const deliver = (event: EventRecord, recoveries: Recoveries | null, at: Scope | null) =>
        route(state, event, null, recoveries, at, now, commands);
      fanOut(state, name, item, outcome.events, deliver, now, commands);
      break;
    }
    case "none":
      if (scope) adjust(state, scope, -1, now, commands);
      break;
    case "failed":
      failed(state, name, item, outcome.error, outcome.retryDelayMs, now, commands);
      break;
  }
  // Most results leave nothing queued for the step: no lookup then.
  if (state.status === "running" && step.queue.length > step.queueHead)
    fill(state, name, now, commands);
}

/** After an invocation ends, the waiters it consumed go (resolved ones stay while it retries). */
function dropWaitersOf(
  state: RunState,
  step: StepRunState,
  item: WorkItem,
  willRetry: boolean,
): void {
  step.waiters = step.waiters.filter((waiter) => {
    const done =
      waiter.item.event.id === item.event.id &&
      (waiter.timedOut || (waiter.resolved && !willRetry));
    if (done) state.waiting--;
    return !done;
  });
}

function failed(
  state: RunState,
  name: string,
  item: WorkItem,
  error: ErrorInfo,
  retryDelayMs: number | null,
  now: number,
  commands: Command[],
): void {
  const attempts = item.attempts + 1;
  const elapsedMs = now - (item.firstAttemptAt ?? now);
  if (retryDelayMs !== null) {
    const id = `retry:${++state.lastTimer}`;
    const retry: WorkItem = { ...item, attempts, lastError: error, lastFailedAt: now };
    state.timers[id] = {
      dueAt: now + retryDelayMs,
      tick: { type: "requeue", step: name, item: retry },
    };
    state.retriesPending++;
    commands.push({ type: "setTimer", id, dueAt: now + retryDelayMs });
    return;
  }
  const handler = state.config.catchOwners[name];
  const budget = handler ? state.config.steps[handler]?.maxRecoveries : null;
  const used = handler ? (item.recoveries?.[handler] ?? 0) : 0;
  if (handler && budget != null && used + 1 <= budget) {
    commands.push({
      type: "recover",
      handler,
      failedStep: name,
      item,
      error,
      attempts,
      elapsedMs,
      failedAt: now,
      recoveries: { ...item.recoveries, [handler]: used + 1 },
    });
    return;
  }
  finish(state, commands);
  state.status = "failed";
  commands.push({ type: "fail", step: name, error, attempts, elapsedMs });
}

/** Ends the run for good: timers disarmed and dropped, queues, buffers and waiters cleared. */
function finish(state: RunState, commands: Command[]): void {
  disarmTimers(state, commands);
  state.timers = {};
  // What is empty already stays: a run that ends allocates nothing for its steps.
  for (const step of Object.values(state.steps)) {
    if (step.queue.length > 0) step.queue = [];
    step.queueHead = 0;
    if (step.workers.length > 0) step.workers = [];
    if (!isEmpty(step.collected)) step.collected = {};
    if (step.waiters.length > 0) step.waiters = [];
    if (step.joined.length > 0) step.joined = [];
  }
  if (!isEmpty(state.streams)) state.streams = {};
  state.active = 0;
  state.queued = 0;
  state.retriesPending = 0;
  state.waiting = 0;
}

function isEmpty(record: object): boolean {
  for (const _ in record) return false;
  return true;
}

/** Disarms every timer but keeps them in the state, so a cancelled run can still resume. */
function disarmTimers(state: RunState, commands: Command[]): void {
  for (const id of Object.keys(state.timers)) commands.push({ type: "clearTimer", id });
}

// Commands made once per run (at its start and end) are made by functions too cold for V8 to
// keep a template of their literals: each gets its shape through weak transitions, which a full
// GC between runs collects, deoptimising the runner's hot loop over commands. One sample of
// each outlives every run (see internal/shapes.ts).
keepShape<Command>({ type: "clearTimer", id: "timeout" });
keepShape<Command>({ type: "setTimer", id: "timeout", dueAt: 0.5 });

function collect(
  state: RunState,
  tick: Extract<Tick, { type: "collect" }>,
  commands: Command[],
): void {
  const step = state.steps[tick.step];
  if (!step) {
    commands.push({ type: "collected", events: null });
    return;
  }
  noteEvent(state, tick.event);
  const buffer = (step.collected[tick.bufferId] ??= {});
  const expected = tick.expected;
  const event = tick.event;
  const worker = tick.workerId >= 0 ? step.workers[tick.workerId] : undefined;
  if (expected[event.type] !== undefined) {
    const list = buffer[event.type];
    if (!list) buffer[event.type] = [event];
    // A step that runs again (retry, resume, after a wait) collects its input again: buffer it
    // once. Only re-runs need the O(n) look; a first run's input is new to the buffer.
    else if (!(worker && isRerun(worker.item) && list.some((e) => e.id === event.id)))
      list.push(event);
  }
  for (const type in expected) {
    if ((buffer[type]?.length ?? 0) < (expected[type] as number)) {
      commands.push({ type: "collected", events: null });
      return;
    }
  }
  const taken: Record<string, EventRecord[]> = {};
  for (const type in expected) {
    const count = expected[type] as number;
    const list = buffer[type] as EventRecord[];
    if (list.length === count) {
      taken[type] = list;
      delete buffer[type];
    } else {
      taken[type] = list.splice(0, count);
    }
  }
  if (worker) {
    worker.taken ??= {};
    const mine = (worker.taken[tick.bufferId] ??= {});
    for (const type in taken) {
      const events = taken[type] as EventRecord[];
      const held = mine[type];
      mine[type] = held ? held.concat(events) : events;
    }
  }
  commands.push({ type: "collected", events: taken });
}

function isRerun(item: WorkItem): boolean {
  return item.attempts > 0 || item.rerun === true;
}

function wait(
  state: RunState,
  tick: Extract<Tick, { type: "wait" }>,
  now: number,
  commands: Command[],
): void {
  if (state.status !== "running") return;
  const step = state.steps[tick.step];
  const worker = step?.workers[tick.workerId];
  if (!step || !worker) return;
  const spec = tick.waiter;
  let timerId: string | null = null;
  if (spec.timeoutMs !== null) {
    timerId = `waiter:${++state.lastTimer}`;
    state.timers[timerId] = {
      dueAt: now + spec.timeoutMs,
      tick: { type: "waiterTimeout", step: tick.step, waiterId: spec.id },
    };
    commands.push({ type: "setTimer", id: timerId, dueAt: now + spec.timeoutMs });
  }
  step.waiters.push({
    id: spec.id,
    eventType: spec.eventType,
    requirements: spec.requirements,
    item: worker.item,
    resolved: null,
    timedOut: false,
    timerId,
  });
  state.waiting++;
  step.workers[tick.workerId] = null;
  state.active--;
  returnTaken(step, worker.taken);
  if (tick.waiterEvent) {
    noteEvent(state, tick.waiterEvent);
    commands.push({ type: "publish", event: tick.waiterEvent });
  }
  fill(state, tick.step, now, commands);
}

function timer(state: RunState, id: string, now: number, commands: Command[]): void {
  const due = state.timers[id];
  if (!due || state.status !== "running") return;
  delete state.timers[id];
  const inner = due.tick;
  switch (inner.type) {
    case "requeue":
      state.retriesPending--;
      enqueue(state, inner.step, inner.item, now, commands);
      break;
    case "runTimeout":
      state.status = "timedOut";
      disarmTimers(state, commands);
      commands.push({
        type: "timedOut",
        timeoutMs: inner.timeoutMs,
        activeSteps: activeSteps(state),
      });
      break;
    case "waiterTimeout": {
      const waiter = state.steps[inner.step]?.waiters.find((w) => w.id === inner.waiterId);
      if (!waiter || waiter.resolved) return;
      waiter.timedOut = true;
      waiter.timerId = null;
      commands.push({ type: "waitEnded", step: inner.step, waiterId: waiter.id, timedOut: true });
      waiter.item.rerun = true;
      enqueue(state, inner.step, waiter.item, now, commands);
      break;
    }
  }
}
