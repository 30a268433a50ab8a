/**
 * Which invocations and events of a run are drawn as one node, so that a long run stays readable:
 *
 * - **Joins.** Invocations of a step that returned nothing, and the next invocation of that step
 *   that emitted, are one node with an edge from each of their inputs. This is how a fan-in with
 *   `ctx.collectEvents` runs: one call per arriving event, `null` until the last one. (The trace
 *   does not say which calls collected, so a step that drops some events and passes others reads
 *   the same way; the node's sublabel says how many returned nothing, which is true either way.)
 * - **Loops.** A chain of invocations, each started by the one event the previous one emitted,
 *   whose steps and events repeat with a period of up to {@link MAX_LOOP_PERIOD} steps for at
 *   least {@link MIN_LOOP_ROUNDS} rounds, is folded: one node per step of the period (`tick ×12`)
 *   and one per event between them (`RoundEvent ×11`), with the edge back drawn once. A round with
 *   a retry, a failure or a second consumer breaks the chain, so it stays drawn on its own.
 *
 * A `collect` or `join` invocation (one that ran with a list of events) is already one node with
 * an edge from each of its inputs, so it joins no group. Nor do the invocations of a branch step:
 * one on the way from a fan-out to such an invocation, where returning nothing means that branch
 * left the collection, not that it was collecting.
 *
 * Everything else is one node per event instance and per invocation attempt.
 */
import type { RunTraceData, RunTraceInvocation } from "./sources.js";
import { invocationInputs, isBatch } from "./trace-order.js";

/** Loops that went round fewer times than this are drawn unrolled. */
export const MIN_LOOP_ROUNDS = 3;
/** The longest loop, in steps per round, that is folded. */
export const MAX_LOOP_PERIOD = 4;

/** Invocations drawn as one node, by index in the trace, in trace order. */
export interface InvocationGroup {
  kind: "join" | "loop";
  members: number[];
}

/** Event instances drawn as one node, by event id, in id order. */
export interface EventGroup {
  members: number[];
}

/** The groups of a trace. Invocations and events in no group are drawn one node each. */
export interface TraceGrouping {
  invocations: InvocationGroup[];
  events: EventGroup[];
}

/**
 * Finds the joins and the loops of a run.
 *
 * @param fedByFanOut steps the workflow's graph says take the items of a `fanOut` step: branch
 *   steps even in a run where none of their results reached a fan-in.
 */
export function groupTrace(
  trace: RunTraceData,
  fedByFanOut: ReadonlySet<string> = new Set(),
): TraceGrouping {
  const branches = new Set([...fedByFanOut, ...branchSteps(trace)]);
  const invocations = findJoins(trace.invocations, branches);
  const grouped = new Set(invocations.flatMap((group) => group.members));
  const events: EventGroup[] = [];
  for (const fold of findLoops(trace, grouped)) {
    invocations.push(...fold.invocations);
    events.push(...fold.events);
  }
  return { invocations, events };
}

/**
 * The steps on the way into a `collect` or `join` invocation: from each of its inputs back up
 * through the invocations that produced it, until a fan-out (an invocation that sent several
 * events), another collect or join, or the run's input.
 */
function branchSteps(trace: RunTraceData): Set<string> {
  const events = new Map(trace.events.map((event) => [event.id, event]));
  const lastAttempt = new Map<string, RunTraceInvocation>();
  for (const invocation of trace.invocations) lastAttempt.set(invocation.id, invocation);
  const steps = new Set<string>();
  for (const batch of trace.invocations) {
    for (const input of batch.inputEventIds ?? []) {
      const seen = new Set<number>();
      for (let id: number | undefined = input; id !== undefined && !seen.has(id); ) {
        seen.add(id);
        const producedBy: string | null | undefined = events.get(id)?.producedBy;
        const producer: RunTraceInvocation | undefined =
          producedBy == null ? undefined : lastAttempt.get(producedBy);
        if (!producer || isBatch(producer) || producer.emitted.length > 1) break;
        steps.add(producer.stepName);
        id = producer.inputEventId;
      }
    }
  }
  return steps;
}

function returnedNothing(invocation: RunTraceInvocation): boolean {
  return invocation.outcome === "completed" && invocation.emitted.length === 0;
}

/**
 * Per step, in trace order: a run of invocations that returned nothing joins the next invocation
 * that completed with an event. A run that nothing completes (the collection never filled, or the
 * step drops every event) is one node too, once it has two members.
 */
function findJoins(
  invocations: readonly RunTraceInvocation[],
  branches: ReadonlySet<string>,
): InvocationGroup[] {
  const byStep = new Map<string, number[]>();
  invocations.forEach((invocation, index) => {
    if (branches.has(invocation.stepName)) return;
    const list = byStep.get(invocation.stepName);
    if (list) list.push(index);
    else byStep.set(invocation.stepName, [index]);
  });
  const groups: InvocationGroup[] = [];
  for (const indexes of byStep.values()) {
    let pending: number[] = [];
    const flush = () => {
      if (pending.length >= 2) groups.push({ kind: "join", members: pending });
      pending = [];
    };
    for (const index of indexes) {
      const invocation = invocations[index]!;
      if (isBatch(invocation)) {
        flush();
      } else if (returnedNothing(invocation)) {
        pending.push(index);
      } else if (invocation.outcome === "completed" && pending.length > 0) {
        groups.push({ kind: "join", members: [...pending, index] });
        pending = [];
      } else {
        flush();
      }
    }
    flush();
  }
  return groups.sort((a, b) => a.members[0]! - b.members[0]!);
}

/** A folded loop: one invocation group per step of its period, one event group per link. */
interface LoopFold {
  invocations: InvocationGroup[];
  events: EventGroup[];
}

/**
 * Follows chains of plain invocations (completed first attempts, in no join) where each emitted
 * exactly one event and that event started exactly one invocation, and folds the periodic parts.
 */
function findLoops(trace: RunTraceData, grouped: ReadonlySet<number>): LoopFold[] {
  const { invocations } = trace;
  const consumers = new Map<number, number[]>();
  invocations.forEach((invocation, index) => {
    for (const input of invocationInputs(invocation)) {
      const list = consumers.get(input);
      if (list) list.push(index);
      else consumers.set(input, [index]);
    }
  });
  const eventTypes = new Map(trace.events.map((event) => [event.id, event.eventType]));
  const isPlain = (index: number) => {
    const invocation = invocations[index]!;
    return (
      invocation.outcome === "completed" &&
      invocation.attempt === 0 &&
      !isBatch(invocation) &&
      !grouped.has(index)
    );
  };
  // next[a] = b when a's one emitted event started b and nothing else.
  const next = new Map<number, number>();
  const hasPrevious = new Set<number>();
  invocations.forEach((invocation, index) => {
    if (!isPlain(index) || invocation.emitted.length !== 1) return;
    const started = consumers.get(invocation.emitted[0]!) ?? [];
    if (started.length === 1 && isPlain(started[0]!)) {
      next.set(index, started[0]!);
      hasPrevious.add(started[0]!);
    }
  });

  const folds: LoopFold[] = [];
  invocations.forEach((_, first) => {
    if (hasPrevious.has(first) || !next.has(first)) return;
    const chain = [first];
    for (let at = next.get(first); at !== undefined; at = next.get(at)) chain.push(at);
    // A chain element's key: its step and the type of the event it passes on (none for the last).
    const keys = chain.map((index, position) => {
      const invocation = invocations[index]!;
      const link = position < chain.length - 1 ? eventTypes.get(invocation.emitted[0]!) : "";
      return `${invocation.stepName}>${link}`;
    });
    const stepOf = (position: number) => invocations[chain[position]!]!.stepName;
    let start = 0;
    while (start < chain.length) {
      const found = longestLoopAt(keys, stepOf, start);
      if (!found) {
        start++;
        continue;
      }
      folds.push(foldLoop(trace, chain, start, found.end, found.period));
      start = found.end;
    }
  });
  return folds;
}

/**
 * The longest periodic run of a chain from `start` (ties go to the shorter period), if it goes
 * round at least {@link MIN_LOOP_ROUNDS} times. `end` is exclusive. Inside the run each element
 * matches the one a period later, step and passed-on event alike; the run's last element only
 * needs the right step, since what it passes on leaves the loop.
 */
function longestLoopAt(
  keys: readonly string[],
  stepOf: (position: number) => string,
  start: number,
): { end: number; period: number } | undefined {
  let best: { end: number; period: number } | undefined;
  for (let period = 1; period <= MAX_LOOP_PERIOD; period++) {
    let end = start + period;
    if (end > keys.length) break;
    while (end < keys.length) {
      if (keys[end - period] === keys[end]) end++;
      else if (stepOf(end - period) === stepOf(end)) {
        end++;
        break;
      } else break;
    }
    const rounds = Math.ceil((end - start) / period);
    if (rounds >= MIN_LOOP_ROUNDS && (!best || end > best.end)) best = { end, period };
  }
  return best;
}

function foldLoop(
  trace: RunTraceData,
  chain: readonly number[],
  start: number,
  end: number,
  period: number,
): LoopFold {
  const invocations: InvocationGroup[] = [];
  const events: EventGroup[] = [];
  for (let offset = 0; offset < period; offset++) {
    const members: number[] = [];
    const links: number[] = [];
    for (let position = start + offset; position < end; position += period) {
      members.push(chain[position]!);
      // The event passed to the next member of the loop; the last member's leaves the loop.
      if (position + 1 < end) links.push(trace.invocations[chain[position]!]!.emitted[0]!);
    }
    if (members.length >= 2) invocations.push({ kind: "loop", members });
    if (links.length >= 2) events.push({ members: links });
  }
  return { invocations, events };
}
