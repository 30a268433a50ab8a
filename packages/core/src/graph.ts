/**
 * The step/event graph of a workflow, built from the declared `accepts`/`emits` (never from
 * source text). Used by validation and by `@stepwise/draw`.
 */
import { z } from "zod";
import { type EventClass, type EventRole, eventRole } from "./events.js";
import type { StepDeclaration } from "./step-registry.js";

/** A node of {@link WorkflowGraph}. */
export type GraphNode =
  | {
      readonly kind: "step";
      readonly id: string;
      readonly name: string;
      readonly accepts: readonly string[];
      readonly emits: readonly string[];
      readonly numWorkers: number;
      /** A description of the step's retry policy, if it has one. */
      readonly retry?: string;
      readonly catchError?: {
        readonly forSteps: readonly string[] | null;
        readonly maxRecoveries: number;
      };
      /** Whether the step may return an array of events that fan out as one collection. */
      readonly fanOut: boolean;
      /** Fan-in: `true` for every event of a collection, `{ take: n }` for the first n; else null. */
      readonly collect: true | { readonly take: number } | null;
      /** Whether the step runs once it holds one event of each `accepts` class. */
      readonly join: boolean;
      /** Whether the step also receives subclasses of what it accepts (drawn as edges from them). */
      readonly acceptEventSubclasses: boolean;
    }
  | {
      readonly kind: "event";
      readonly id: string;
      readonly eventType: string;
      readonly role: EventRole;
      /** JSON Schema of the event's fields. */
      readonly schema: unknown;
    }
  | { readonly kind: "external"; readonly id: "external"; readonly name: "external" };

/**
 * An edge: event -> step that accepts it (or, with `acceptEventSubclasses`, a subclass of what
 * it accepts), step -> event it emits, or through `external`.
 */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
}

/** A workflow's steps and events as a graph. */
export interface WorkflowGraph {
  readonly name: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

function eventSchema(cls: EventClass): unknown {
  const schema = (cls as unknown as { schema?: z.ZodType }).schema;
  if (!schema) return { type: "object", additionalProperties: true };
  try {
    return z.toJSONSchema(schema, { unrepresentable: "any" });
  } catch {
    return { type: "object" };
  }
}

/** The `collect` option as declared, when it is a usable one. */
function readCollect(collect: unknown): true | { readonly take: number } | null {
  if (collect === true) return true;
  const take = (collect as { take?: unknown } | null)?.take;
  return typeof take === "number" ? { take } : null;
}

function describeRetry(step: StepDeclaration): string | undefined {
  if (!step.retry) return undefined;
  return typeof step.retry.describe === "function" ? step.retry.describe() : "custom retry policy";
}

/** Builds the graph of a list of steps. */
export function buildGraph(name: string, steps: readonly StepDeclaration[]): WorkflowGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const events = new Map<string, EventClass>();
  const addEvent = (cls: EventClass) => {
    if (!events.has(cls.eventType)) events.set(cls.eventType, cls);
    return `event:${cls.eventType}`;
  };
  for (const step of steps) {
    const id = `step:${step.name}`;
    const catchError = step.catchError
      ? {
          forSteps: (step.catchError.forSteps as readonly string[] | null) ?? null,
          maxRecoveries: Number(step.catchError.maxRecoveries),
        }
      : undefined;
    const retry = describeRetry(step);
    nodes.push({
      kind: "step",
      id,
      name: step.name,
      accepts: step.accepts.map((c) => c.eventType),
      emits: step.emits.map((c) => c.eventType),
      numWorkers: Number(step.numWorkers),
      ...(retry ? { retry } : {}),
      ...(catchError ? { catchError } : {}),
      fanOut: step.fanOut === true,
      collect: readCollect(step.collect),
      join: step.join === true,
      acceptEventSubclasses: step.acceptEventSubclasses === true,
    });
    for (const cls of step.accepts) edges.push({ from: addEvent(cls), to: id });
    for (const cls of step.emits) edges.push({ from: id, to: addEvent(cls) });
  }
  // Routing delivers a subclass instance to such a step, except a stop event, which ends the run.
  for (const step of steps) {
    if (step.acceptEventSubclasses !== true) continue;
    for (const cls of events.values()) {
      if (step.accepts.includes(cls) || eventRole(cls) === "stop") continue;
      if (step.accepts.some((accepted) => cls.prototype instanceof accepted))
        edges.push({ from: `event:${cls.eventType}`, to: `step:${step.name}` });
    }
  }
  let hasExternal = false;
  for (const cls of events.values()) {
    const role = eventRole(cls);
    nodes.push({
      kind: "event",
      id: `event:${cls.eventType}`,
      eventType: cls.eventType,
      role,
      schema: eventSchema(cls),
    });
    if (role === "inputRequired") {
      hasExternal = true;
      edges.push({ from: `event:${cls.eventType}`, to: "external" });
    } else if (role === "humanResponse") {
      hasExternal = true;
      edges.push({ from: "external", to: `event:${cls.eventType}` });
    }
  }
  if (hasExternal) nodes.push({ kind: "external", id: "external", name: "external" });
  return { name, nodes, edges };
}
