/**
 * The left-to-right order of a run drawing. Each event descends from the invocation that sent
 * it, and each invocation from the event that started it, so a run is a forest; its nodes are
 * ordered depth first, children in the order they happened. A fan-out's items are then left to
 * right in the order they were sent, and what each branch produced stays under its branch, so
 * the inputs of a fan-in are in fan-out order even when later branches finished first.
 */
import type { RunTraceData, RunTraceEvent, RunTraceInvocation } from "./sources.js";

/** Every event an invocation ran with: all of a `collect`'s or `join`'s, else its one input. */
export function invocationInputs(invocation: RunTraceInvocation): readonly number[] {
  const batch = invocation.inputEventIds;
  return batch && batch.length > 0 ? batch : [invocation.inputEventId];
}

/** Whether the invocation is a `collect` or `join` one: it ran with a list of events. */
export function isBatch(invocation: RunTraceInvocation): boolean {
  return invocation.inputEventIds !== undefined;
}

/** Ranks of a run's nodes, left to right: by event id and by invocation index. */
export interface LineageRanks {
  events: ReadonlyMap<number, number>;
  invocations: ReadonlyMap<number, number>;
}

/**
 * Ranks every event and invocation of a run depth first through who-caused-what.
 *
 * @param parentOf the index of the invocation an event descends from (its producer, or for the
 *   engine's end of a failed run the attempt that failed), or undefined for a root.
 */
export function lineageRanks(
  trace: RunTraceData,
  events: readonly RunTraceEvent[],
  parentOf: (event: RunTraceEvent) => number | undefined,
): LineageRanks {
  const known = new Set(events.map((event) => event.id));
  const startedBy = new Map<number, number[]>();
  const orphans: number[] = [];
  trace.invocations.forEach((invocation, at) => {
    if (!known.has(invocation.inputEventId)) {
      orphans.push(at);
      return;
    }
    const list = startedBy.get(invocation.inputEventId);
    if (list) list.push(at);
    else startedBy.set(invocation.inputEventId, [at]);
  });
  const sent = new Map<number, number[]>();
  const roots: number[] = [];
  for (const event of [...events].sort((a, b) => a.id - b.id)) {
    const parent = parentOf(event);
    if (parent === undefined) {
      roots.push(event.id);
      continue;
    }
    const list = sent.get(parent);
    if (list) list.push(event.id);
    else sent.set(parent, [event.id]);
  }

  const eventRanks = new Map<number, number>();
  const invocationRanks = new Map<number, number>();
  type Item = { kind: "event" | "invocation"; key: number };
  // Depth first without recursion: a long loop is a chain thousands deep.
  const stack: Item[] = [
    ...roots.map((key): Item => ({ kind: "event", key })),
    ...orphans.map((key): Item => ({ kind: "invocation", key })),
  ].reverse();
  let rank = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.kind === "event") {
      if (eventRanks.has(item.key)) continue;
      eventRanks.set(item.key, rank++);
      const children = startedBy.get(item.key) ?? [];
      for (let at = children.length - 1; at >= 0; at--) {
        stack.push({ kind: "invocation", key: children[at]! });
      }
    } else {
      if (invocationRanks.has(item.key)) continue;
      invocationRanks.set(item.key, rank++);
      const children = sent.get(item.key) ?? [];
      for (let at = children.length - 1; at >= 0; at--) {
        stack.push({ kind: "event", key: children[at]! });
      }
    }
  }
  // Whatever a malformed trace left unreached goes last, in trace order.
  for (const event of events) if (!eventRanks.has(event.id)) eventRanks.set(event.id, rank++);
  trace.invocations.forEach((_, at) => {
    if (!invocationRanks.has(at)) invocationRanks.set(at, rank++);
  });
  return { events: eventRanks, invocations: invocationRanks };
}
