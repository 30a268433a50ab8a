/**
 * Fan-out and fan-in in the control loop. A `fanOut` step that returns an array opens a
 * **collection**: each event starts a branch, and every work item of a branch carries the
 * collection in its `scope`. The collection counts its unfinished work items; a branch that
 * returns one event (routed to k steps) adds k - 1, one that returns nothing takes 1 away. When
 * the count reaches 0 every `collect` step bound to the `fanOut` step runs once with what the
 * branches gathered for it, in fan-out order. `join` steps hold events until they have one of
 * each type they accept. All of it is plain data in the run state, so snapshots and replay
 * carry it.
 */
import type { Command } from "./commands.js";
import { enqueue, newItem } from "./queues.js";
import type { Gathered, RunState, StreamState } from "./run-state.js";
import type { EventRecord, Recoveries, Scope, WorkItem } from "./ticks.js";

/** Delivers an event (routed to one or more steps) to each of them; returns how many items it made. */
export type Route = (
  event: EventRecord,
  recoveries: Recoveries | null,
  scope: Scope | null,
) => number;

/** A `fanOut` step's item returned `events`: opens their collection and starts the branches. */
export function fanOut(
  state: RunState,
  source: string,
  item: WorkItem,
  events: readonly EventRecord[],
  route: Route,
  now: number,
  commands: Command[],
): void {
  const id = `c${++state.lastStream}`;
  const parent = item.scope ?? null;
  const gathered: Record<string, Gathered> = {};
  const bindings = state.config.bindings[source] ?? [];
  for (const step of bindings) gathered[step] = { events: [], released: false };
  const stream: StreamState = {
    source,
    scope: parent,
    origin: item.event,
    recoveries: item.recoveries,
    open: 0,
    gathered,
  };
  state.streams[id] = stream;
  let made = 0;
  for (let index = 0; index < events.length && state.status === "running"; index++) {
    const scope: Scope = parent ? [...parent, { stream: id, index }] : [{ stream: id, index }];
    made += route(events[index] as EventRecord, item.recoveries, scope);
  }
  if (state.status !== "running") return;
  stream.open += made;
  // In the enclosing collection, the item that fanned out becomes one gathered run per binding.
  if (parent) adjust(state, parent, bindings.length - 1, now, commands);
  if (stream.open <= 0 && state.streams[id]) close(state, id, now, commands);
}

/** Changes the count of the innermost collection of `scope`; closes it at 0. */
export function adjust(
  state: RunState,
  scope: Scope,
  delta: number,
  now: number,
  commands: Command[],
): void {
  if (delta === 0) return;
  const id = (scope[scope.length - 1] as Scope[number]).stream;
  const stream = state.streams[id];
  if (!stream) return;
  stream.open += delta;
  if (stream.open <= 0) close(state, id, now, commands);
}

/**
 * A `collect` step receives an event: it is gathered into the innermost collection it belongs
 * to, if that collection is bound to the step. Returns false when it belongs to none (the event
 * is then unhandled).
 */
export function gather(
  state: RunState,
  step: string,
  event: EventRecord,
  scope: Scope | null,
  now: number,
  commands: Command[],
): boolean {
  const nearest = scope?.[scope.length - 1];
  const stream = nearest ? state.streams[nearest.stream] : undefined;
  const gathered = stream?.gathered[step];
  if (!nearest || !stream || !gathered) return false;
  if (gathered.released) return true;
  gathered.events.push({ index: nearest.index, event });
  const take = state.config.steps[step]?.collect?.take ?? null;
  if (take !== null && gathered.events.length >= take) release(state, step, stream, now, commands);
  return true;
}

function close(state: RunState, id: string, now: number, commands: Command[]): void {
  const stream = state.streams[id] as StreamState;
  delete state.streams[id];
  for (const step of Object.keys(stream.gathered)) release(state, step, stream, now, commands);
}

/** Runs `step` once with what it gathered, in fan-out order; at most once per collection. */
function release(
  state: RunState,
  step: string,
  stream: StreamState,
  now: number,
  commands: Command[],
): void {
  const gathered = stream.gathered[step] as Gathered;
  if (gathered.released) return;
  gathered.released = true;
  const arrivals = gathered.events;
  const batch = [...arrivals].sort((a, b) => a.index - b.index).map((entry) => entry.event);
  const last = arrivals.length > 0 ? (arrivals[arrivals.length - 1]?.event as EventRecord) : null;
  const item = newItem(last ?? stream.origin, stream.recoveries, stream.scope);
  item.batch = batch;
  gathered.events.length = 0;
  enqueue(state, step, item, now, commands);
}

/**
 * A `join` step receives an event: held until the step has one of each type it joins, then one
 * item starts with the earliest of each, in the step's order. Returns whether an item started.
 */
export function join(
  state: RunState,
  step: string,
  types: readonly string[],
  event: EventRecord,
  recoveries: Recoveries | null,
  scope: Scope | null,
  now: number,
  commands: Command[],
): boolean {
  const held = (state.steps[step] as RunState["steps"][string]).joined;
  held.push({ event, recoveries, scope });
  const picked: number[] = [];
  for (const type of types) {
    let found = -1;
    for (let i = 0; i < held.length; i++) {
      if (held[i]?.event.type === type && !picked.includes(i)) {
        found = i;
        break;
      }
    }
    if (found === -1) return false;
    picked.push(found);
  }
  const batch = picked.map((i) => (held[i] as (typeof held)[number]).event);
  for (const i of [...picked].sort((a, b) => b - a)) held.splice(i, 1);
  const item = newItem(event, recoveries, scope);
  item.batch = batch;
  enqueue(state, step, item, now, commands);
  return true;
}

/**
 * When a quiet run still has open collections and no waiting step inside any of them, they can
 * never close: a message naming them, else null.
 */
export function stuckCollections(state: RunState): { step: string; message: string } | null {
  const ids = Object.keys(state.streams);
  if (ids.length === 0) return null;
  const open = new Set(ids);
  for (const step of Object.values(state.steps)) {
    for (const waiter of step.waiters) {
      if (waiter.item.scope?.some((entry) => open.has(entry.stream))) return null;
    }
  }
  const first = state.streams[ids[0] as string] as StreamState;
  const parts = ids.map((id) => {
    const stream = state.streams[id] as StreamState;
    const steps = Object.keys(stream.gathered);
    const into = steps.length > 0 ? ` for ${steps.map((s) => `\`${s}\``).join(", ")}` : "";
    return `the fan-out of step \`${stream.source}\`${into} still counts ${stream.open} unfinished branch item(s)`;
  });
  return {
    step: first.source,
    message: `The run is idle but its fan-out collections can never complete: ${parts.join("; ")}, and nothing queued, running or waiting can finish them. This means the run state was changed outside the engine (an edited snapshot or journal).`,
  };
}
