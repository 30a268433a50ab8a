/**
 * The scene of what one run did, from its trace: one node per event instance and per step
 * invocation attempt (`name#seq`), in the order they happened. Branches that did not run are
 * absent. Failed and retried attempts are coloured, and each attempt links to the next one.
 */
import { type LabelOptions, plural } from "./flows-scene.js";
import {
  type LegendEntry,
  type NodeDetails,
  type NodeStyle,
  type Scene,
  type SceneEdge,
  type SceneNode,
  truncateLabel,
} from "./scene.js";
import type { FlowGraph, RunTraceData, RunTraceEvent, RunTraceInvocation } from "./sources.js";

/** Options of the drawings of a run. */
export interface TraceSceneOptions extends LabelOptions {
  /**
   * The workflow's graph, used to mark start and stop events by their declared role. Without it
   * the first event from outside the run is the start event and, in a completed run, the last
   * event no step consumed is the stop event.
   */
  graph?: FlowGraph;
}

const OUTCOME_STYLE: Record<RunTraceInvocation["outcome"], NodeStyle> = {
  completed: "step",
  failed: "stepFailed",
  retrying: "stepRetrying",
  running: "stepRunning",
  waiting: "stepRunning",
  cancelled: "stepCancelled",
};

/** Node id of an event instance in a trace scene. */
export function traceEventNodeId(event: RunTraceEvent): string {
  return `event:${event.id}`;
}

/** Node id of the n-th invocation attempt (in trace order) in a trace scene. */
export function traceInvocationNodeId(index: number): string {
  return `invocation:${index}`;
}

/** Builds the scene of one run from its trace. */
export function buildTraceScene(trace: RunTraceData, options: TraceSceneOptions = {}): Scene {
  const events = [...trace.events].sort((a, b) => a.id - b.id);
  const eventsById = new Map(events.map((event) => [event.id, event]));
  const invocations = trace.invocations.map((invocation, index) => ({ invocation, index }));
  const roles = eventRoles(trace, events, options.graph);
  const consumers = new Map<number, string[]>();
  for (const { invocation } of invocations) {
    const list = consumers.get(invocation.inputEventId) ?? [];
    list.push(attemptName(invocation));
    consumers.set(invocation.inputEventId, list);
  }

  const nodes: SceneNode[] = [];
  const edges: SceneEdge[] = [];
  const edgeKeys = new Set<string>();
  const addEdge = (edge: SceneEdge) => {
    const key = `${edge.from}>${edge.to}`;
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push(edge);
  };

  // An event may name its producer by invocation id only; the attempt that produced it is the last
  // attempt with that id, since earlier attempts' output is discarded when they fail.
  const lastAttemptById = new Map<string, number>();
  for (const { invocation, index } of invocations) lastAttemptById.set(invocation.id, index);

  for (const event of events) {
    const role = roles.get(event.id) ?? "event";
    const fullName = event.eventType;
    nodes.push({
      id: traceEventNodeId(event),
      label: truncateLabel(fullName, options.maxLabelLength),
      fullName,
      sublabel: `#${event.id} · +${formatDuration(event.at - trace.startedAt)}`,
      shape: "pill",
      style: role === "start" ? "startEvent" : role === "stop" ? "stopEvent" : "event",
      details: eventDetails(trace, event, role, consumers.get(event.id) ?? []),
    });
  }

  const hasOutsideEvents = events.some(
    (event) => event.producedBy === null && roles.get(event.id) !== "start",
  );
  if (hasOutsideEvents) {
    nodes.push({
      id: "external",
      label: "outside the run",
      fullName: "outside the run",
      sublabel: "handler.sendEvent",
      shape: "box",
      style: "external",
      details: {
        title: "outside the run",
        kind: "sender",
        rows: [],
        note: "Events sent into the run from outside (handler.sendEvent), such as a human's response.",
      },
    });
  }

  const pairs = retryPairs(trace.invocations);
  const retried = new Set(pairs.map(([, next]) => next));
  for (const { invocation, index } of invocations) {
    const fullName = attemptName(invocation);
    nodes.push({
      id: traceInvocationNodeId(index),
      label: truncateLabel(fullName, options.maxLabelLength),
      fullName,
      sublabel: invocationSublabel(invocation),
      shape: "box",
      style: OUTCOME_STYLE[invocation.outcome],
      details: invocationDetails(trace, invocation, eventsById),
    });
    // A retry is drawn from the attempt before it, not from the input event again.
    const input = eventsById.get(invocation.inputEventId);
    if (input && !retried.has(index)) {
      addEdge({ from: traceEventNodeId(input), to: traceInvocationNodeId(index), kind: "flow" });
    }
    for (const emittedId of invocation.emitted) {
      const emitted = eventsById.get(emittedId);
      if (emitted) {
        addEdge({
          from: traceInvocationNodeId(index),
          to: traceEventNodeId(emitted),
          kind: "flow",
        });
      }
    }
  }

  for (const event of events) {
    if (event.producedBy === null) {
      if (hasOutsideEvents && roles.get(event.id) !== "start") {
        addEdge({ from: "external", to: traceEventNodeId(event), kind: "flow" });
      }
      continue;
    }
    const producer = lastAttemptById.get(event.producedBy);
    if (producer !== undefined) {
      addEdge({ from: traceInvocationNodeId(producer), to: traceEventNodeId(event), kind: "flow" });
    }
  }

  for (const [from, to] of pairs) {
    addEdge({ from: traceInvocationNodeId(from), to: traceInvocationNodeId(to), kind: "retry" });
  }

  return {
    title: trace.workflowName,
    subtitle: traceSubtitle(trace),
    nodes,
    edges,
    legend: traceLegend(trace, hasOutsideEvents),
  };
}

/** `retrieve#1`, or `retrieve#1 (attempt 2)` for a retry. */
export function attemptName(invocation: RunTraceInvocation): string {
  return invocation.attempt === 0
    ? invocation.id
    : `${invocation.id} (attempt ${invocation.attempt + 1})`;
}

/** `completed · 12 ms`, `retrying · 3 ms`, `running`. */
export function invocationSublabel(invocation: RunTraceInvocation): string {
  if (invocation.endedAt === null) return invocation.outcome;
  return `${invocation.outcome} · ${formatDuration(invocation.endedAt - invocation.startedAt)}`;
}

/** Milliseconds as `0.4 ms`, `12 ms` or `1.25 s`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return "0 ms";
  if (ms < 10) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * Pairs of invocation indexes where the second is the next attempt of the first: same step, same
 * input event, attempt number one higher.
 */
function retryPairs(invocations: readonly RunTraceInvocation[]): [number, number][] {
  const pairs: [number, number][] = [];
  invocations.forEach((invocation, index) => {
    if (invocation.attempt === 0) return;
    let previous = -1;
    invocations.forEach((candidate, candidateIndex) => {
      if (
        candidate.stepName === invocation.stepName &&
        candidate.inputEventId === invocation.inputEventId &&
        candidate.attempt === invocation.attempt - 1 &&
        candidateIndex !== index
      ) {
        previous = candidateIndex;
      }
    });
    if (previous >= 0) pairs.push([previous, index]);
  });
  return pairs;
}

type EventRole = "start" | "stop" | "event";

function eventRoles(
  trace: RunTraceData,
  events: RunTraceEvent[],
  graph: FlowGraph | undefined,
): Map<number, EventRole> {
  const roles = new Map<number, EventRole>();
  if (graph) {
    const declared = new Map<string, EventRole>();
    for (const node of graph.nodes) {
      if (node.kind === "event" && (node.role === "start" || node.role === "stop")) {
        declared.set(node.eventType, node.role);
      }
    }
    for (const event of events) roles.set(event.id, declared.get(event.eventType) ?? "event");
    return roles;
  }
  const first = events[0];
  if (first && first.producedBy === null) roles.set(first.id, "start");
  if (trace.status === "completed") {
    const consumed = new Set(trace.invocations.map((invocation) => invocation.inputEventId));
    const last = [...events].reverse().find((event) => !consumed.has(event.id));
    if (last && last !== first) roles.set(last.id, "stop");
  }
  return roles;
}

function eventDetails(
  trace: RunTraceData,
  event: RunTraceEvent,
  role: EventRole,
  consumers: string[],
): NodeDetails {
  return {
    title: `${event.eventType} #${event.id}`,
    kind: role === "event" ? "event" : `${role} event`,
    rows: [
      ["At", `+${formatDuration(event.at - trace.startedAt)} after the run started`],
      ["Produced by", event.producedBy ?? "outside the run (run input or handler.sendEvent)"],
      ["Consumed by", consumers.join(", ") || (role === "stop" ? "ends the run" : "no step")],
      ["Published to the stream", event.published ? "yes" : "no"],
    ],
  };
}

function invocationDetails(
  trace: RunTraceData,
  invocation: RunTraceInvocation,
  eventsById: Map<number, RunTraceEvent>,
): NodeDetails {
  const input = eventsById.get(invocation.inputEventId);
  const emitted = invocation.emitted.map((id) => {
    const event = eventsById.get(id);
    return event ? `${event.eventType} #${id}` : `#${id}`;
  });
  const details: NodeDetails = {
    title: attemptName(invocation),
    kind: `step invocation · ${invocation.outcome}`,
    rows: [
      ["Step", invocation.stepName],
      ["Outcome", invocation.outcome],
      ["Attempt", String(invocation.attempt + 1)],
      ["Worker", String(invocation.workerId)],
      [
        "Started",
        `+${formatDuration(invocation.startedAt - trace.startedAt)} after the run started`,
      ],
      [
        "Duration",
        invocation.endedAt === null
          ? "not finished"
          : formatDuration(invocation.endedAt - invocation.startedAt),
      ],
      ["Input", input ? `${input.eventType} #${input.id}` : `#${invocation.inputEventId}`],
      ["Emitted", emitted.join(", ") || "nothing"],
    ],
  };
  if (invocation.error !== null) details.error = invocation.error;
  return details;
}

function traceSubtitle(trace: RunTraceData): string {
  const duration =
    trace.endedAt === null ? "still running" : formatDuration(trace.endedAt - trace.startedAt);
  return [
    `run ${trace.runId}`,
    trace.status,
    duration,
    plural(trace.invocations.length, "invocation"),
    plural(trace.events.length, "event"),
  ].join(" · ");
}

function traceLegend(trace: RunTraceData, hasOutsideEvents: boolean): LegendEntry[] {
  const legend: LegendEntry[] = [
    { label: "completed step", shape: "box", style: "step" },
    { label: "start event", shape: "pill", style: "startEvent" },
    { label: "event", shape: "pill", style: "event" },
    { label: "stop event", shape: "pill", style: "stopEvent" },
  ];
  const outcomes = new Set(trace.invocations.map((invocation) => invocation.outcome));
  if (outcomes.has("retrying"))
    legend.push({ label: "retried", shape: "box", style: "stepRetrying" });
  if (outcomes.has("failed")) legend.push({ label: "failed", shape: "box", style: "stepFailed" });
  if (outcomes.has("running") || outcomes.has("waiting")) {
    legend.push({ label: "running / waiting", shape: "box", style: "stepRunning" });
  }
  if (outcomes.has("cancelled")) {
    legend.push({ label: "cancelled", shape: "box", style: "stepCancelled" });
  }
  if (hasOutsideEvents) legend.push({ label: "outside the run", shape: "box", style: "external" });
  return legend;
}
