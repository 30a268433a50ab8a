/**
 * The data a drawing is made from, as @stepwise/draw reads it: the graph core derives from the
 * declared `accepts`/`emits` (`getWorkflowGraph`) and the record of one run (`handler.trace()`).
 *
 * These are structural copies of core's types so that a graph or trace that travelled as JSON
 * (from a server, a file) can be drawn without the workflow at hand.
 */
import { getWorkflowGraph, Workflow } from "@stepwise/core";

/** A step, event or the human-in-the-loop `external` node of a workflow graph. */
export type FlowNode =
  | {
      kind: "step";
      id: string;
      name: string;
      accepts: readonly string[];
      emits: readonly string[];
      numWorkers: number;
      retry?: string;
      catchError?: { forSteps: readonly string[] | null; maxRecoveries: number };
      /** May return an array of events that fan out as one collection. */
      fanOut?: boolean;
      /** Fan-in: every event of a collection (`true`) or the first `take`. */
      collect?: true | { readonly take: number } | null;
      /** Runs once it holds one event of each `accepts` class. */
      join?: boolean;
      /** Also receives subclasses of what it accepts. */
      acceptEventSubclasses?: boolean;
    }
  | {
      kind: "event";
      id: string;
      eventType: string;
      role: "start" | "stop" | "inputRequired" | "humanResponse" | "stepFailed" | "event";
      schema: unknown;
    }
  | { kind: "external"; id: "external"; name: "external" };

/** Every step and event of a workflow and the edges between them (see core's `getWorkflowGraph`). */
export interface FlowGraph {
  name: string;
  nodes: readonly FlowNode[];
  edges: readonly { from: string; to: string }[];
}

/**
 * One event instance of a run. `producedBy` is an invocation id (for a `StepFailedEvent`, the
 * attempt that failed), or `null` when sent from outside or when it is the engine's end of the run.
 */
export interface RunTraceEvent {
  id: number;
  eventType: string;
  at: number;
  producedBy: string | null;
  published: boolean;
}

/** One attempt of one step invocation of a run. */
export interface RunTraceInvocation {
  id: string;
  stepName: string;
  workerId: number;
  inputEventId: number;
  /**
   * For a `collect` or `join` step: every event it ran with, in the order it received them
   * (`inputEventId` is the last to arrive).
   */
  inputEventIds?: readonly number[];
  attempt: number;
  startedAt: number;
  endedAt: number | null;
  outcome: "running" | "completed" | "failed" | "retrying" | "waiting" | "cancelled";
  error: string | null;
  emitted: readonly number[];
}

/** What one run did, as recorded by the runner (`handler.trace()`). Times are epoch milliseconds. */
export interface RunTraceData {
  workflowName: string;
  runId: string;
  status: "running" | "completed" | "failed" | "cancelled" | "timedOut";
  startedAt: number;
  endedAt: number | null;
  events: readonly RunTraceEvent[];
  invocations: readonly RunTraceInvocation[];
}

/** A workflow class (drawn without being instantiated) or a workflow instance. */
export type WorkflowSource = Workflow | (abstract new (...args: any[]) => Workflow);

/** Anything with a `trace()` method, such as a `WorkflowHandler`. */
export interface TraceSource {
  trace(): RunTraceData;
}

/** Tells a workflow class from an instance, or throws naming what was received instead. */
export function readFlowGraph(source: WorkflowSource | FlowGraph): FlowGraph {
  if (source instanceof Workflow) return getWorkflowGraph(source);
  if (typeof source === "function" && source.prototype instanceof Workflow) {
    return getWorkflowGraph(source as never);
  }
  if (isFlowGraph(source)) return source;
  throw new TypeError(
    `expected a Workflow subclass, a Workflow instance or a graph from \`getWorkflowGraph\`; got ${describeValue(source)}`,
  );
}

/** Reads the run record of a handler (or takes a trace object as is). */
export function readRunTrace(source: TraceSource | RunTraceData): RunTraceData {
  if (isRunTrace(source)) return source;
  if (source !== null && typeof source === "object" && typeof source.trace === "function") {
    return source.trace();
  }
  throw new TypeError(
    `expected a workflow handler (the value \`wf.run()\` returns) or its \`trace()\`; got ${describeValue(source)}`,
  );
}

function isFlowGraph(value: unknown): value is FlowGraph {
  const candidate = value as Partial<FlowGraph> | null;
  return (
    candidate !== null &&
    typeof candidate === "object" &&
    typeof candidate.name === "string" &&
    Array.isArray(candidate.nodes) &&
    Array.isArray(candidate.edges)
  );
}

function isRunTrace(value: unknown): value is RunTraceData {
  const candidate = value as Partial<RunTraceData> | null;
  return (
    candidate !== null &&
    typeof candidate === "object" &&
    typeof candidate.runId === "string" &&
    Array.isArray(candidate.events) &&
    Array.isArray(candidate.invocations)
  );
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return `the function \`${value.name || "(anonymous)"}\``;
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no prototype"})`;
  return `${typeof value} \`${String(value)}\``;
}
