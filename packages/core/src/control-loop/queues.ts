/** Work queues of the control loop: items wait per step, workers take them in FIFO order. */
import { keepShape } from "../internal/shapes.js";
import type { Command } from "./commands.js";
import type { RunState, StepRunState } from "./run-state.js";
import type { EventRecord, Recoveries, Scope, WorkItem } from "./ticks.js";

/** A fresh item for `event`; `scope` places it in the fan-outs it descends from. */
export function newItem(
  event: EventRecord,
  recoveries: Recoveries | null,
  scope: Scope | null = null,
): WorkItem {
  const item: WorkItem = {
    event,
    attempts: 0,
    firstAttemptAt: null,
    lastError: null,
    lastFailedAt: null,
    recoveries,
  };
  if (scope) item.scope = scope;
  return item;
}

// An item of a fan-out has one field more, reached through a weak transition: one such item
// outlives every run, so that a full GC between fan-outs keeps its shape (internal/shapes.ts).
keepShape(
  newItem({ id: 0, type: "", role: "event", value: null }, null, [{ stream: "", index: 0 }]),
);

/**
 * Gives `item` to a free worker of step `name`, or queues it. `limit` is the step's number of
 * workers, when the caller has its config at hand (each lookup by name costs on the hot path).
 */
export function enqueue(
  state: RunState,
  name: string,
  item: WorkItem,
  now: number,
  commands: Command[],
  limit: number = workerLimit(state, name),
): void {
  const step = state.steps[name] as StepRunState;
  const workerId = freeWorker(step, limit);
  if (workerId === -1 || step.queue.length > step.queueHead) {
    step.queue.push(item);
    state.queued++;
    commands.push({ type: "enqueued", step: name, item });
    if (workerId !== -1) fill(state, name, now, commands);
    return;
  }
  startWorker(state, name, step, workerId, item, now, commands);
}

/** The number of workers of step `name`. */
export function workerLimit(state: RunState, name: string): number {
  return state.config.steps[name]?.numWorkers ?? 1;
}

/** The id of a free worker of `step`, which has `limit` workers, or -1. */
export function freeWorker(step: StepRunState, limit: number): number {
  const workers = step.workers;
  for (let id = 0; id < limit; id++) {
    if (!workers[id]) return id;
  }
  return -1;
}

export function startWorker(
  state: RunState,
  name: string,
  step: StepRunState,
  workerId: number,
  item: WorkItem,
  now: number,
  commands: Command[],
): void {
  if (item.firstAttemptAt === null) item.firstAttemptAt = now;
  const invocation = ++state.lastInvocation;
  step.workers[workerId] = { item, invocation, taken: null };
  state.active++;
  commands.push({ type: "runWorker", step: name, workerId, item, invocation });
}

/** Starts queued items while the step has free workers. */
export function fill(state: RunState, name: string, now: number, commands: Command[]): void {
  const step = state.steps[name] as StepRunState;
  if (step.queue.length === step.queueHead) return;
  const limit = workerLimit(state, name);
  while (step.queue.length > step.queueHead && state.status === "running") {
    const workerId = freeWorker(step, limit);
    if (workerId === -1) return;
    startWorker(state, name, step, workerId, dequeue(step), now, commands);
    state.queued--;
  }
}

/** Takes the queue's head in O(1); the taken prefix is dropped once it is half the array. */
export function dequeue(step: StepRunState): WorkItem {
  const item = step.queue[step.queueHead] as WorkItem;
  step.queueHead++;
  if (step.queueHead === step.queue.length) {
    step.queue = [];
    step.queueHead = 0;
  } else if (step.queueHead >= 64 && step.queueHead * 2 >= step.queue.length) {
    step.queue = step.queue.slice(step.queueHead);
    step.queueHead = 0;
  }
  return item;
}

export function returnTaken(
  step: StepRunState,
  taken: Record<string, Record<string, EventRecord[]>> | null,
): void {
  if (!taken) return;
  for (const [bufferId, byType] of Object.entries(taken)) {
    const buffer = (step.collected[bufferId] ??= {});
    for (const [type, events] of Object.entries(byType)) {
      const existing = buffer[type];
      buffer[type] = existing ? events.concat(existing) : events;
    }
  }
}
