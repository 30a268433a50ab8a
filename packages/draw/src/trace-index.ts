/**
 * What a run drawing looks up in a trace: events by id, who consumed each event, the last attempt
 * of each invocation id, retries, the failure that ended a failed run, and each event's role.
 */
import type { FlowGraph, RunTraceData, RunTraceEvent, RunTraceInvocation } from "./sources.js";
import { attemptName, ENGINE_ENDINGS, type EventRole, type TraceIndex } from "./trace-details.js";
import { invocationInputs } from "./trace-order.js";

/** What the details and the edges look up: events by id, producers, consumers, retries. */
export function traceIndex(trace: RunTraceData, events: readonly RunTraceEvent[]): TraceIndex {
  const eventsById = new Map(events.map((event) => [event.id, event]));
  const consumers = new Map<number, string[]>();
  // An event may name its producer by invocation id only; the attempt that produced it is the
  // last attempt with that id, since earlier attempts' output is discarded when they fail.
  const lastAttemptById = new Map<string, number>();
  trace.invocations.forEach((invocation, at) => {
    for (const input of invocationInputs(invocation)) {
      const list = consumers.get(input) ?? [];
      list.push(attemptName(invocation));
      consumers.set(input, list);
    }
    lastAttemptById.set(invocation.id, at);
  });
  const last = events[events.length - 1];
  const isEngineEnding = (event: RunTraceEvent) =>
    event === last && event.producedBy === null && ENGINE_ENDINGS.has(event.eventType);
  // The failure that ended a failed run: the last failed attempt the engine sent no
  // StepFailedEvent for (a recovered failure names its StepFailedEvent in `emitted`).
  let runEndingFailure: number | undefined;
  if (trace.status === "failed") {
    trace.invocations.forEach((invocation, at) => {
      const recovered = invocation.emitted.some(
        (id) => eventsById.get(id)?.eventType === "StepFailedEvent",
      );
      if (invocation.outcome === "failed" && !recovered) runEndingFailure = at;
    });
  }
  return {
    trace,
    eventsById,
    consumers,
    lastAttemptById,
    retryPairs: retryPairs(trace.invocations),
    isEngineEnding,
    runEndingFailure,
  };
}

/**
 * Pairs of invocation indexes where the second is the next attempt of the first: same step, same
 * input event, attempt number one higher.
 */
function retryPairs(invocations: readonly RunTraceInvocation[]): [number, number][] {
  const pairs: [number, number][] = [];
  const lastAttempt = new Map<string, number>();
  invocations.forEach((invocation, at) => {
    const key = `${invocation.stepName}\u0000${invocation.inputEventId}\u0000${invocation.attempt}`;
    if (invocation.attempt > 0) {
      const previous = lastAttempt.get(
        `${invocation.stepName}\u0000${invocation.inputEventId}\u0000${invocation.attempt - 1}`,
      );
      if (previous !== undefined) pairs.push([previous, at]);
    }
    lastAttempt.set(key, at);
  });
  return pairs;
}

/** How each event instance is drawn: start, stop, or a plain event. */
export function eventRoles(
  trace: RunTraceData,
  events: RunTraceEvent[],
  graph: FlowGraph | undefined,
): Map<number, EventRole> {
  const roles = new Map<number, EventRole>();
  const last = events[events.length - 1];
  // The engine's own end of a run (failed, timed out, cancelled) is its stop event.
  const endsRun = (event: RunTraceEvent) =>
    event === last && event.producedBy === null && ENGINE_ENDINGS.has(event.eventType);
  if (graph) {
    const declared = new Map<string, EventRole>();
    for (const node of graph.nodes) {
      if (node.kind === "event" && (node.role === "start" || node.role === "stop")) {
        declared.set(node.eventType, node.role);
      }
    }
    for (const event of events) {
      roles.set(event.id, endsRun(event) ? "stop" : (declared.get(event.eventType) ?? "event"));
    }
    return roles;
  }
  const first = events[0];
  if (first && first.producedBy === null) roles.set(first.id, "start");
  if (last && last !== first && endsRun(last)) roles.set(last.id, "stop");
  if (trace.status === "completed") {
    const consumed = new Set(trace.invocations.flatMap(invocationInputs));
    const stop = [...events].reverse().find((event) => !consumed.has(event.id));
    if (stop && stop !== first) roles.set(stop.id, "stop");
  }
  return roles;
}
