/**
 * What a run drawing says about its nodes: labels of attempts, durations, and the details panel of
 * an event, an invocation attempt, or a group of them.
 */
import type { NodeDetails } from "./scene.js";
import type { RunTraceData, RunTraceEvent, RunTraceInvocation } from "./sources.js";

/**
 * The engine's own events that end a run. The runner records them with no producer; they are
 * drawn as the run's stop event, not as sent from outside.
 */
export const ENGINE_ENDINGS: ReadonlySet<string> = new Set([
  "WorkflowFailedEvent",
  "WorkflowTimedOutEvent",
  "WorkflowCancelledEvent",
]);

/** How an event instance is drawn. */
export type EventRole = "start" | "stop" | "event";

/**
 * What a `collect` or `join` invocation is, as far as the drawing knows: `batch` when the
 * workflow's graph was not given, so only the trace's list of inputs tells it apart.
 */
export type BatchKind = "collect" | "join" | "batch";

const BATCH_VERB: Record<BatchKind, string> = {
  collect: "collected",
  join: "joined",
  batch: "gathered",
};

const BATCH_ORDER: Record<BatchKind, string> = {
  collect: " (an array, in fan-out order)",
  join: " (a tuple, in `accepts` order)",
  batch: "",
};

/** A trace with what the drawing looks up in it. */
export interface TraceIndex {
  trace: RunTraceData;
  eventsById: ReadonlyMap<number, RunTraceEvent>;
  /** Event id -> names of the attempts it started. */
  consumers: ReadonlyMap<number, readonly string[]>;
  /** Invocation id -> index of its last attempt. */
  lastAttemptById: ReadonlyMap<string, number>;
  /** `[attempt, next attempt]` index pairs. */
  retryPairs: readonly [number, number][];
  /** Whether the event is the engine's end of the run (see {@link ENGINE_ENDINGS}). */
  isEngineEnding(event: RunTraceEvent): boolean;
  /** In a failed run, the index of the attempt whose error ended it. */
  runEndingFailure: number | undefined;
}

/** `retrieve#1`, or `retrieve#1 (attempt 2)` for a retry. */
export function attemptName(invocation: RunTraceInvocation): string {
  return invocation.attempt === 0
    ? invocation.id
    : `${invocation.id} (attempt ${invocation.attempt + 1})`;
}

/**
 * `completed · 12 ms`, `retrying · 3 ms`, `running`; for a `collect` or `join` invocation led
 * by what it ran with (`collected 3 · completed · 1 ms`), for a fan-out by its items.
 */
export function invocationSublabel(
  invocation: RunTraceInvocation,
  batch?: BatchKind,
  isFanOut = false,
): string {
  const parts: string[] = [];
  if (batch) parts.push(`${BATCH_VERB[batch]} ${invocation.inputEventIds?.length ?? 0}`);
  if (isFanOut && invocation.emitted.length > 0)
    parts.push(`fan-out ×${invocation.emitted.length}`);
  parts.push(invocation.outcome);
  if (invocation.endedAt !== null) {
    parts.push(formatDuration(invocation.endedAt - invocation.startedAt));
  }
  return parts.join(" · ");
}

/** Milliseconds as `0.4 ms`, `12 ms` or `1.25 s`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return "0 ms";
  if (ms < 10) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function since(index: TraceIndex, at: number): string {
  return `+${formatDuration(at - index.trace.startedAt)}`;
}

function eventName(index: TraceIndex, id: number): string {
  const event = index.eventsById.get(id);
  return event ? `${event.eventType} #${id}` : `#${id}`;
}

function duration(invocation: RunTraceInvocation): string {
  return invocation.endedAt === null
    ? "not finished"
    : formatDuration(invocation.endedAt - invocation.startedAt);
}

/** Who sent an event, in words. */
function producerText(index: TraceIndex, event: RunTraceEvent): string {
  if (event.producedBy !== null) {
    const producer = index.lastAttemptById.get(event.producedBy);
    const invocation = producer === undefined ? undefined : index.trace.invocations[producer];
    if (invocation && invocation.outcome === "failed") {
      return `the engine, for ${attemptName(invocation)}, which failed`;
    }
    return invocation ? attemptName(invocation) : event.producedBy;
  }
  if (index.isEngineEnding(event)) {
    const cause = index.runEndingFailure;
    const failed = cause === undefined ? undefined : index.trace.invocations[cause];
    if (event.eventType === "WorkflowFailedEvent") {
      return failed
        ? `the engine, when ${attemptName(failed)} failed with no retry or recovery left`
        : "the engine, when the run failed";
    }
    if (event.eventType === "WorkflowTimedOutEvent") {
      return "the engine, when the run's timeout passed";
    }
    return "the engine, when the run was cancelled";
  }
  return "outside the run (run input or handler.sendEvent)";
}

/** The details of one event instance. */
export function eventDetails(
  index: TraceIndex,
  event: RunTraceEvent,
  role: EventRole,
): NodeDetails {
  const consumers = index.consumers.get(event.id) ?? [];
  return {
    title: `${event.eventType} #${event.id}`,
    kind: role === "event" ? "event" : `${role} event`,
    rows: [
      ["At", `${since(index, event.at)} after the run started`],
      ["Produced by", producerText(index, event)],
      ["Consumed by", consumers.join(", ") || (role === "stop" ? "ends the run" : "no step")],
      ["Published to the stream", event.published ? "yes" : "no"],
    ],
  };
}

/** The details of one invocation attempt. */
export function invocationDetails(
  index: TraceIndex,
  invocation: RunTraceInvocation,
  batch?: BatchKind,
): NodeDetails {
  const emitted = invocation.emitted.map((id) => eventName(index, id));
  const inputs = batch ? (invocation.inputEventIds ?? []) : [];
  const input: NodeDetails["rows"] = batch
    ? [
        [
          "Inputs",
          inputs.length > 0
            ? `${inputs.map((id) => eventName(index, id)).join(", ")}${BATCH_ORDER[batch]}`
            : `none: the collection was empty (fanned out from ${eventName(index, invocation.inputEventId)})`,
        ],
      ]
    : [["Input", eventName(index, invocation.inputEventId)]];
  if (inputs.length > 1) input.push(["Last to arrive", eventName(index, invocation.inputEventId)]);
  const details: NodeDetails = {
    title: attemptName(invocation),
    kind: `step invocation${batch && batch !== "batch" ? ` · a ${batch}` : ""} · ${invocation.outcome}`,
    rows: [
      ["Step", invocation.stepName],
      ["Outcome", invocation.outcome],
      ["Attempt", String(invocation.attempt + 1)],
      ["Worker", String(invocation.workerId)],
      ["Started", `${since(index, invocation.startedAt)} after the run started`],
      ["Duration", duration(invocation)],
      ...input,
      ["Emitted", emitted.join(", ") || "nothing"],
    ],
  };
  if (invocation.error !== null) details.error = invocation.error;
  return details;
}

/** The details of invocations drawn as one node: a join or the rounds of a loop. */
export function invocationGroupDetails(
  index: TraceIndex,
  kind: "join" | "loop",
  members: readonly RunTraceInvocation[],
): NodeDetails {
  const first = members[0]!;
  const nothing = members.filter((member) => member.emitted.length === 0).length;
  const rows: NodeDetails["rows"] = [
    ["Step", first.stepName],
    ["Invocations", String(members.length)],
  ];
  if (kind === "join") rows.push(["Returned nothing", String(nothing)]);
  for (const member of members) {
    const emitted = member.emitted.map((id) => eventName(index, id)).join(", ") || "nothing";
    rows.push([
      attemptName(member),
      `${member.outcome} · ${duration(member)} · ${eventName(index, member.inputEventId)} → ${emitted}`,
    ]);
  }
  return {
    title: `${first.stepName} ×${members.length}`,
    kind: kind === "join" ? "step invocations · a join" : "step invocations · a loop",
    rows,
    note:
      kind === "join"
        ? "One invocation per arriving event; those that returned nothing are drawn with the one that emitted, as a fan-in with ctx.collectEvents runs."
        : "The rounds of a loop: each invocation was started by the event the round before emitted.",
  };
}

/** The details of event instances drawn as one node: the events passed round a loop. */
export function eventGroupDetails(
  index: TraceIndex,
  members: readonly RunTraceEvent[],
): NodeDetails {
  const first = members[0]!;
  const rows: NodeDetails["rows"] = [["Instances", String(members.length)]];
  for (const event of members) {
    const consumers = index.consumers.get(event.id)?.join(", ") || "no step";
    rows.push([
      `#${event.id}`,
      `${since(index, event.at)} · ${producerText(index, event)} → ${consumers}`,
    ]);
  }
  return {
    title: `${first.eventType} ×${members.length}`,
    kind: "events · a loop",
    rows,
    note: "The events passed from one round of a loop to the next.",
  };
}
