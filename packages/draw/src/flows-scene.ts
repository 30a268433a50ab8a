/**
 * The scene of every possible flow of a workflow: one node per step, per event class and, when a
 * step asks a human for input, the `external` node between the input-required event and the
 * human-response event.
 */
import { failureRoutes } from "./catch-owners.js";
import {
  collectText,
  flowEdgeLook,
  flowOptionRows,
  flowOptionTexts,
  type StepNode,
  stepShape,
  subclassInputs,
} from "./flow-options.js";
import {
  type LegendEntry,
  type NodeDetails,
  type NodeStyle,
  type Scene,
  type SceneEdge,
  type SceneNode,
  truncateLabel,
} from "./scene.js";
import { summarizeSchema } from "./schema-fields.js";
import type { FlowGraph, FlowNode } from "./sources.js";

/** Options shared by every drawing. */
export interface LabelOptions {
  /** Labels longer than this become `label.slice(0, max - 1) + "*"`; full names stay in the details. */
  maxLabelLength?: number;
}

const ROLE_TEXT: Record<Extract<FlowNode, { kind: "event" }>["role"], string> = {
  start: "start event",
  stop: "stop event",
  inputRequired: "input required",
  humanResponse: "human response",
  stepFailed: "step failed",
  event: "event",
};

/** Builds the scene of all possible flows from a workflow graph. */
export function buildFlowsScene(graph: FlowGraph, options: LabelOptions = {}): Scene {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const nameOf = (id: string) => {
    const node = byId.get(id);
    return node ? nodeName(node) : id;
  };
  const incoming = new Map<string, string[]>();
  const outgoing = new Map<string, string[]>();
  const flowEdges = graph.edges.map((edge): SceneEdge => {
    const look = flowEdgeLook(edge, byId);
    push(outgoing, edge.from, nameOf(edge.to) + consumerNote(byId.get(edge.to), look.variant));
    push(incoming, edge.to, nameOf(edge.from) + producerNote(byId.get(edge.from)));
    return { from: edge.from, to: edge.to, kind: "flow", ...look };
  });
  const subclasses = subclassInputs(graph);
  // A step covered by a `@catchError` handler leads to the handler's StepFailedEvent when it fails
  // (after its retries). The declared emits do not say so; the handlers' `forSteps` do.
  const routes = failureRoutes(graph);
  const severalHandlers = new Set(routes.map((route) => route.handler)).size > 1;
  const failureEdges: SceneEdge[] = routes.map((route) => ({
    from: route.step,
    to: route.event ?? route.handler,
    kind: "failure",
    label: severalHandlers ? `on failure: ${route.handlerName}` : "on failure",
  }));
  const failureHandler = new Map(routes.map((route) => [route.step, route.handlerName]));
  for (const edge of failureEdges) {
    push(incoming, edge.to, `${nameOf(edge.from)} (when it fails)`);
  }

  const nodes = graph.nodes.map((node): SceneNode => {
    const fullName = nodeName(node);
    const label = truncateLabel(fullName, options.maxLabelLength);
    if (node.kind === "step") {
      const step: SceneNode = {
        id: node.id,
        label,
        fullName,
        shape: stepShape(node),
        style: "step",
        details: stepDetails(node, failureHandler.get(node.id), subclasses.get(node.id) ?? []),
      };
      const sublabel = stepSublabel(node);
      if (sublabel) step.sublabel = sublabel;
      return step;
    }
    if (node.kind === "external") {
      return {
        id: node.id,
        label,
        fullName,
        sublabel: "a human answers",
        shape: "box",
        style: "external",
        details: {
          title: "external",
          kind: "outside the workflow",
          rows: [
            ["Receives", incoming.get(node.id)?.join(", ") ?? "—"],
            ["Sends back", outgoing.get(node.id)?.join(", ") ?? "—"],
          ],
          note: "A person or another system reads the input-required event from the stream and answers with handler.sendEvent(...).",
        },
      };
    }
    const sublabel =
      node.role === "inputRequired" || node.role === "humanResponse" || node.role === "stepFailed"
        ? ROLE_TEXT[node.role]
        : undefined;
    const scene: SceneNode = {
      id: node.id,
      label,
      fullName,
      shape: "pill",
      style: eventStyle(node.role),
      details: eventDetails(node, incoming.get(node.id) ?? [], outgoing.get(node.id) ?? []),
    };
    if (sublabel) scene.sublabel = sublabel;
    return scene;
  });

  const steps = graph.nodes.filter((node) => node.kind === "step").length;
  const events = graph.nodes.filter((node) => node.kind === "event").length;
  return {
    title: graph.name,
    subtitle: `all possible flows · ${plural(steps, "step")} · ${plural(events, "event")}`,
    nodes,
    edges: [...flowEdges, ...failureEdges],
    legend: flowsLegend(graph),
    inputOrder: joinInputOrder(graph),
  };
}

/** A join step's inputs, left to right as its sublabel names them (`join HeaderEvent + BodyEvent`). */
function joinInputOrder(graph: FlowGraph): Record<string, string[]> {
  const order: Record<string, string[]> = {};
  for (const node of graph.nodes) {
    if (node.kind === "step" && node.join) {
      order[node.id] = node.accepts.map((type) => `event:${type}`);
    }
  }
  return order;
}

function nodeName(node: FlowNode): string {
  if (node.kind === "event") return node.eventType;
  return node.name;
}

function eventStyle(role: Extract<FlowNode, { kind: "event" }>["role"]): NodeStyle {
  if (role === "start") return "startEvent";
  if (role === "stop") return "stopEvent";
  return "event";
}

/** What an event's "Emitted by" says of a step: that it fans the event out. */
function producerNote(node: FlowNode | undefined): string {
  return node?.kind === "step" && node.fanOut ? " (fan-out)" : "";
}

/** What an event's "Accepted by" says of a step: that it collects, joins, or takes a subclass. */
function consumerNote(node: FlowNode | undefined, variant: SceneEdge["variant"]): string {
  if (node?.kind !== "step") return "";
  const notes: string[] = [];
  const collect = collectText(node);
  if (collect) notes.push(collect);
  if (node.join) notes.push("join");
  if (variant === "subclass") notes.push("as a subclass");
  return notes.length > 0 ? ` (${notes.join(", ")})` : "";
}

/**
 * What sets a step apart at a glance: fan-out, fan-in or join, subclasses, workers other than
 * the default 4, retries, recovery.
 */
function stepSublabel(node: StepNode): string | undefined {
  const parts: string[] = flowOptionTexts(node);
  if (node.numWorkers !== 4) parts.push(plural(node.numWorkers, "worker"));
  if (node.retry) parts.push("retries");
  if (node.catchError) parts.push("catches errors");
  return parts.length > 0 ? parts.join(" · ") : undefined;
}

function stepDetails(
  node: StepNode,
  failureHandler: string | undefined,
  subclasses: readonly string[],
): NodeDetails {
  const rows: NodeDetails["rows"] = [
    ["Accepts", node.accepts.join(", ") || "—"],
    ["Emits", node.emits.join(", ") || "nothing (returns no event)"],
    ...flowOptionRows(node, subclasses),
    ["Workers", String(node.numWorkers)],
    ["Retry policy", node.retry ?? (failureHandler ? "none" : "none (a failure ends the run)")],
  ];
  if (failureHandler) {
    rows.push(["On failure", `StepFailedEvent to ${failureHandler}, once retries run out`]);
  }
  if (node.catchError) {
    const from = node.catchError.forSteps?.join(", ") ?? "every step";
    rows.push([
      "Catches errors",
      `from ${from}; at most ${plural(node.catchError.maxRecoveries, "recovery", "recoveries")}`,
    ]);
  }
  return { title: node.name, kind: "step", rows };
}

function eventDetails(
  node: Extract<FlowNode, { kind: "event" }>,
  producers: string[],
  consumers: string[],
): NodeDetails {
  const { fields, acceptsUndeclaredFields } = summarizeSchema(node.schema);
  const details: NodeDetails = {
    title: node.eventType,
    kind: ROLE_TEXT[node.role],
    rows: [
      ["Emitted by", producers.join(", ") || (node.role === "start" ? "run(input)" : "—")],
      ["Accepted by", consumers.join(", ") || (node.role === "stop" ? "ends the run" : "—")],
    ],
    fields,
    schema: node.schema,
  };
  if (fields.length === 0) {
    details.note = acceptsUndeclaredFields
      ? "Declares no fields; takes any field it is given."
      : "Declares no fields.";
  } else if (acceptsUndeclaredFields) {
    details.note = "Also takes fields it does not declare.";
  }
  return details;
}

function flowsLegend(graph: FlowGraph): LegendEntry[] {
  const legend: LegendEntry[] = [
    { label: "step", shape: "box", style: "step" },
    { label: "start event", shape: "pill", style: "startEvent" },
    { label: "event", shape: "pill", style: "event" },
    { label: "stop event", shape: "pill", style: "stopEvent" },
  ];
  const steps = graph.nodes.filter((node): node is StepNode => node.kind === "step");
  if (steps.some((node) => stepShape(node) === "fork")) {
    legend.push({ label: "fan-out step", shape: "fork", style: "step" });
  }
  if (steps.some((node) => stepShape(node) === "join")) {
    legend.push({ label: "fan-in / join step", shape: "join", style: "step" });
  }
  if (graph.nodes.some((node) => node.kind === "external")) {
    legend.push({ label: "external (human)", shape: "box", style: "external" });
  }
  return legend;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** `1 step`, `2 steps`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
