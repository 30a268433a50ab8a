/**
 * The scene of what one run did, from its trace: one node per event instance and per step
 * invocation attempt (`name#seq`), side by side in the order they happened (see
 * `trace-order.ts`), except that `ctx.collectEvents` joins and long loops are drawn as one node
 * per step (see `trace-groups.ts`). A `collect` or `join` invocation is one join node with an
 * edge from every event it ran with. Branches that did not run are absent. Failed and retried
 * attempts are coloured, each attempt links to the next one, and a failure links to the event
 * the engine sent for it.
 */
import type { StepNode } from "./flow-options.js";
import { type LabelOptions, plural } from "./flows-scene.js";
import type { LegendEntry, NodeStyle, Scene, SceneEdge, SceneNode } from "./scene.js";
import { truncateLabel } from "./scene.js";
import type { FlowGraph, RunTraceData, RunTraceInvocation } from "./sources.js";
import {
  attemptName,
  type BatchKind,
  eventDetails,
  eventGroupDetails,
  formatDuration,
  invocationDetails,
  invocationGroupDetails,
  invocationSublabel,
} from "./trace-details.js";
import { groupTrace, type InvocationGroup } from "./trace-groups.js";
import { eventRoles, traceIndex } from "./trace-index.js";
import { invocationInputs, isBatch, lineageRanks } from "./trace-order.js";

/** Options of the drawings of a run. */
export interface TraceSceneOptions extends LabelOptions {
  /**
   * The workflow's graph, used to mark start and stop events by their declared role, to tell a
   * `collect` invocation from a `join` one, and to mark a `fanOut` step's invocations. Without
   * it the first event from outside the run is the start event and, in a completed run, the
   * last event no step consumed is the stop event.
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

/** Builds the scene of one run from its trace. */
export function buildTraceScene(trace: RunTraceData, options: TraceSceneOptions = {}): Scene {
  const events = [...trace.events].sort((a, b) => a.id - b.id);
  const index = traceIndex(trace, events);
  const roles = eventRoles(trace, events, options.graph);
  const label = (text: string) => truncateLabel(text, options.maxLabelLength);
  const declared = new Map<string, StepNode>();
  for (const node of options.graph?.nodes ?? []) {
    if (node.kind === "step") declared.set(node.name, node);
  }
  const grouping = groupTrace(trace, fedByFanOut([...declared.values()]));
  const batchKind = (invocation: RunTraceInvocation): BatchKind | undefined => {
    if (!isBatch(invocation)) return undefined;
    const step = declared.get(invocation.stepName);
    return step?.join ? "join" : step?.collect ? "collect" : "batch";
  };

  // Where each event and invocation is drawn: its own node, or its group's.
  const eventNodeIds = new Map<number, string>();
  const eventGroupOf = new Map<number, number[]>();
  for (const group of grouping.events) {
    for (const id of group.members) {
      eventNodeIds.set(id, `event-group:${group.members[0]}`);
      eventGroupOf.set(id, group.members);
    }
  }
  for (const event of events)
    if (!eventNodeIds.has(event.id)) eventNodeIds.set(event.id, `event:${event.id}`);
  const invocationNodeIds = new Map<number, string>();
  const invocationGroupOf = new Map<number, InvocationGroup>();
  for (const group of grouping.invocations) {
    for (const member of group.members) {
      invocationNodeIds.set(member, `invocation-group:${group.members[0]}`);
      invocationGroupOf.set(member, group);
    }
  }
  trace.invocations.forEach((_, at) => {
    if (!invocationNodeIds.has(at)) invocationNodeIds.set(at, `invocation:${at}`);
  });

  const nodes: SceneNode[] = [];
  const edges: SceneEdge[] = [];
  const edgeKeys = new Set<string>();
  const addEdge = (edge: SceneEdge) => {
    const key = `${edge.from}>${edge.to}`;
    if (edge.from === edge.to || edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push(edge);
  };

  for (const event of events) {
    const group = eventGroupOf.get(event.id);
    if (group && group[0] !== event.id) continue;
    const role = roles.get(event.id) ?? "event";
    const style = role === "start" ? "startEvent" : role === "stop" ? "stopEvent" : "event";
    if (group) {
      const members = group.map((id) => index.eventsById.get(id)!);
      const first = members[0]!;
      const last = members[members.length - 1]!;
      nodes.push({
        id: eventNodeIds.get(event.id)!,
        label: label(`${event.eventType} ×${members.length}`),
        fullName: `${event.eventType} ×${members.length}`,
        sublabel: `#${first.id}…#${last.id} · ${timeRange(first.at - trace.startedAt, last.at - trace.startedAt)}`,
        shape: "pill",
        style,
        stacked: true,
        details: eventGroupDetails(index, members),
      });
      continue;
    }
    nodes.push({
      id: eventNodeIds.get(event.id)!,
      label: label(event.eventType),
      fullName: event.eventType,
      sublabel: `#${event.id} · +${formatDuration(event.at - trace.startedAt)}`,
      shape: "pill",
      style,
      details: eventDetails(index, event, role),
    });
  }

  const hasOutsideEvents = events.some(
    (event) =>
      event.producedBy === null && roles.get(event.id) !== "start" && !index.isEngineEnding(event),
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

  const retried = new Set(index.retryPairs.map(([, next]) => next));
  trace.invocations.forEach((invocation, at) => {
    const group = invocationGroupOf.get(at);
    if (!group || group.members[0] === at) {
      nodes.push(group ? groupNode(group) : singleInvocationNode(invocation, at));
    }
    const from = invocationNodeIds.get(at)!;
    // A retry is drawn from the attempt before it, not from the input event again. A collect or
    // join invocation is one node with an edge from every event it ran with; one that collected
    // an empty fan-out, from the event that was fanned out.
    const empty = invocation.inputEventIds?.length === 0;
    for (const input of retried.has(at) ? [] : invocationInputs(invocation)) {
      if (!index.eventsById.has(input)) continue;
      const edge: SceneEdge = { from: eventNodeIds.get(input)!, to: from, kind: "flow" };
      addEdge(empty ? { ...edge, label: "empty collection" } : edge);
    }
    for (const emitted of invocation.emitted) {
      if (!index.eventsById.has(emitted)) continue;
      const kind = invocation.outcome === "failed" ? "failure" : "flow";
      addEdge(edge(from, eventNodeIds.get(emitted)!, kind));
    }
  });

  for (const event of events) {
    const to = eventNodeIds.get(event.id)!;
    if (event.producedBy !== null) {
      const producer = index.lastAttemptById.get(event.producedBy);
      if (producer === undefined) continue;
      const kind = trace.invocations[producer]!.outcome === "failed" ? "failure" : "flow";
      addEdge(edge(invocationNodeIds.get(producer)!, to, kind));
    } else if (index.isEngineEnding(event)) {
      // The run's own end: a failure is drawn from the attempt whose error ended the run.
      const cause = index.runEndingFailure;
      if (event.eventType === "WorkflowFailedEvent" && cause !== undefined) {
        addEdge(edge(invocationNodeIds.get(cause)!, to, "failure"));
      }
    } else if (hasOutsideEvents && roles.get(event.id) !== "start") {
      addEdge({ from: "external", to, kind: "flow" });
    }
  }

  for (const [from, to] of index.retryPairs) {
    addEdge({
      from: invocationNodeIds.get(from)!,
      to: invocationNodeIds.get(to)!,
      kind: "retry",
      label: "retry",
    });
  }

  // Left to right by who caused what (see trace-order.ts); a group takes its first member's place.
  const ranks = lineageRanks(trace, events, (event) => {
    if (event.producedBy !== null) return index.lastAttemptById.get(event.producedBy);
    return index.isEngineEnding(event) ? index.runEndingFailure : undefined;
  });
  const rankOf = new Map<string, number>();
  const placeAt = (id: string, rank: number | undefined) => {
    if (rank !== undefined && rank < (rankOf.get(id) ?? Number.POSITIVE_INFINITY)) {
      rankOf.set(id, rank);
    }
  };
  for (const [id, rank] of ranks.events) placeAt(eventNodeIds.get(id)!, rank);
  for (const [at, rank] of ranks.invocations) placeAt(invocationNodeIds.get(at)!, rank);
  const rank = (node: SceneNode) => rankOf.get(node.id) ?? Number.POSITIVE_INFINITY;
  nodes.sort((a, b) => rank(a) - rank(b));

  return {
    title: trace.workflowName,
    subtitle: traceSubtitle(trace),
    nodes,
    edges,
    legend: traceLegend(trace, hasOutsideEvents, nodes),
    keepOrder: true,
  };

  function singleInvocationNode(invocation: RunTraceInvocation, at: number): SceneNode {
    const fullName = attemptName(invocation);
    const batch = batchKind(invocation);
    const isFanOut = declared.get(invocation.stepName)?.fanOut === true;
    return {
      id: invocationNodeIds.get(at)!,
      label: label(fullName),
      fullName,
      sublabel: invocationSublabel(invocation, batch, isFanOut),
      shape: batch ? "join" : isFanOut ? "fork" : "box",
      style: OUTCOME_STYLE[invocation.outcome],
      details: invocationDetails(index, invocation, batch),
    };
  }

  function groupNode(group: InvocationGroup): SceneNode {
    const members = group.members.map((member) => trace.invocations[member]!);
    const first = members[0]!;
    const fullName = `${first.stepName} ×${members.length}`;
    const total = members.reduce(
      (sum, member) => sum + (member.endedAt === null ? 0 : member.endedAt - member.startedAt),
      0,
    );
    const nothing = members.filter((member) => member.emitted.length === 0).length;
    const sublabel =
      group.kind === "join"
        ? `${nothing} returned nothing · ${formatDuration(total)}`
        : `completed ×${members.length} · ${formatDuration(total)}`;
    return {
      id: invocationNodeIds.get(group.members[0]!)!,
      label: label(fullName),
      fullName,
      sublabel,
      shape: "box",
      style: "step",
      stacked: true,
      details: invocationGroupDetails(index, group.kind, members),
    };
  }
}

/** The steps that accept what a `fanOut` step emits. */
function fedByFanOut(steps: readonly StepNode[]): Set<string> {
  const fannedOut = new Set(steps.flatMap((step) => (step.fanOut ? step.emits : [])));
  return new Set(
    steps.filter((step) => step.accepts.some((type) => fannedOut.has(type))).map((s) => s.name),
  );
}

/** `+3 ms`, or `+3 ms…12 ms` when the ends differ as written. */
function timeRange(first: number, last: number): string {
  const from = formatDuration(first);
  const to = formatDuration(last);
  return from === to ? `+${from}` : `+${from}…${to}`;
}

function edge(from: string, to: string, kind: "flow" | "failure"): SceneEdge {
  return kind === "failure" ? { from, to, kind, label: "failed" } : { from, to, kind };
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

function traceLegend(
  trace: RunTraceData,
  hasOutsideEvents: boolean,
  nodes: readonly SceneNode[],
): LegendEntry[] {
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
  if (nodes.some((node) => node.shape === "fork")) {
    legend.push({ label: "fan-out", shape: "fork", style: "step" });
  }
  if (nodes.some((node) => node.shape === "join")) {
    legend.push({ label: "collect / join", shape: "join", style: "step" });
  }
  if (hasOutsideEvents) legend.push({ label: "outside the run", shape: "box", style: "external" });
  return legend;
}
