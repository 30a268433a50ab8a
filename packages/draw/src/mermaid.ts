/**
 * Mermaid `flowchart TD` text for a workflow graph or a run trace. Node ids, shapes and class names
 * follow llama-index-utils-workflow's Mermaid output: steps `step_x["x"]`, events
 * `event_X(["X"])`, the human-in-the-loop node `external_step`, and `classDef` styles with the same
 * colours.
 */
import { failureRoutes } from "./catch-owners.js";
import { flowEdgeLook, flowOptionTexts, stepShape } from "./flow-options.js";
import { type LabelOptions, plural } from "./flows-scene.js";
import { type NodeShape, STYLE_PAINT, truncateLabel } from "./scene.js";
import type { FlowGraph, FlowNode, RunTraceData } from "./sources.js";
import { buildTraceScene, type TraceSceneOptions } from "./trace-scene.js";

const FLOW_CLASS_DEFS = [
  "    classDef stepStyle fill:#ADD8E6,color:#000000,line-height:1.2",
  "    classDef externalStyle fill:#BEDAE4,color:#000000,line-height:1.2",
  "    classDef startEventStyle fill:#E27AFF,color:#000000",
  "    classDef stopEventStyle fill:#FFA07A,color:#000000",
  "    classDef defaultEventStyle fill:#90EE90,color:#000000",
];

const TRACE_CLASS_DEFS = [
  ...FLOW_CLASS_DEFS,
  `    classDef retryingStepStyle fill:${STYLE_PAINT.stepRetrying.fill},color:#000000,stroke-dasharray:5 3`,
  `    classDef failedStepStyle fill:${STYLE_PAINT.stepFailed.fill},color:#000000`,
  `    classDef runningStepStyle fill:${STYLE_PAINT.stepRunning.fill},color:#000000,stroke-dasharray:5 3`,
  `    classDef cancelledStepStyle fill:${STYLE_PAINT.stepCancelled.fill},color:#000000,stroke-dasharray:5 3`,
];

/** A Mermaid node id from a name: characters Mermaid does not allow in ids become `_`. */
export function mermaidId(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_");
}

/**
 * Escapes a label for a quoted Mermaid label. `"` and `#` become Mermaid entity codes, and `<`/`>`
 * HTML entities, so that names cannot break out of the label or be read as markup.
 */
export function mermaidLabel(text: string): string {
  return text
    .replaceAll("#", "#35;")
    .replaceAll('"', "#quot;")
    .replaceAll("<", "#lt;")
    .replaceAll(">", "#gt;");
}

/**
 * A node line: steps are boxes, events stadiums; a fan-out step is a trapezoid wide at the bottom
 * (`[/ \]`), a collect or join step one wide at the top (`[\ /]`), where the inputs meet.
 */
function nodeLine(id: string, shape: NodeShape, label: string, className: string): string {
  const [open, close] = MERMAID_SHAPES[shape];
  return `    ${id}${open}"${label}"${close}:::${className}`;
}

const MERMAID_SHAPES: Record<NodeShape, [string, string]> = {
  box: ["[", "]"],
  pill: ["([", "])"],
  fork: ["[/", "\\]"],
  join: ["[\\", "/]"],
};

/** Mermaid text of every possible flow of a workflow graph. */
export function renderFlowsMermaidText(graph: FlowGraph, options: LabelOptions = {}): string {
  const ids = new Map(graph.nodes.map((node) => [node.id, flowNodeMermaidId(node)]));
  const lines = ["flowchart TD"];
  const seen = new Set<string>();
  for (const node of graph.nodes) {
    const id = ids.get(node.id)!;
    if (seen.has(id)) continue;
    seen.add(id);
    const label = mermaidLabel(truncateLabel(flowNodeLabel(node), options.maxLabelLength));
    if (node.kind === "event") {
      lines.push(nodeLine(id, "pill", label, eventClass(node.role)));
    } else if (node.kind === "step") {
      // What the step's options say goes on a second line, as in the HTML drawing.
      const options = flowOptionTexts(node).map(mermaidLabel);
      const text = options.length > 0 ? `${label}<br/>${options.join(" · ")}` : label;
      lines.push(nodeLine(id, stepShape(node), text, "stepStyle"));
    } else {
      lines.push(nodeLine(id, "box", label, "externalStyle"));
    }
  }
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const edges = new Set<string>();
  for (const edge of graph.edges) {
    const from = ids.get(edge.from);
    const to = ids.get(edge.to);
    if (from === undefined || to === undefined) continue;
    const line = `    ${from} ${flowArrow(flowEdgeLook(edge, byId))} ${to}`;
    if (edges.has(line)) continue;
    edges.add(line);
    lines.push(line);
  }
  // A step covered by a `@catchError` handler leads to its StepFailedEvent when it fails.
  for (const route of failureRoutes(graph)) {
    const from = ids.get(route.step);
    const to = ids.get(route.event ?? route.handler);
    if (from !== undefined && to !== undefined) lines.push(`    ${from} -. on failure .-> ${to}`);
  }
  lines.push(...FLOW_CLASS_DEFS);
  return lines.join("\n");
}

/** Mermaid text of what one run did: event instances, invocation attempts, retries. */
export function renderTraceMermaidText(
  trace: RunTraceData,
  options: TraceSceneOptions = {},
): string {
  const scene = buildTraceScene(trace, options);
  // The HTML drawing's node ids with `:` made Mermaid-safe: `event:3` → `event_3`.
  const idFor = (sceneId: string) => mermaidId(sceneId);
  const lines = [
    "flowchart TD",
    `    %% ${trace.workflowName} run ${trace.runId}: ${trace.status}, ${plural(trace.invocations.length, "invocation")}, ${plural(trace.events.length, "event")}`,
  ];
  for (const node of scene.nodes) {
    const label = node.sublabel
      ? `${mermaidLabel(node.label)}<br/>${mermaidLabel(node.sublabel)}`
      : mermaidLabel(node.label);
    lines.push(nodeLine(idFor(node.id), node.shape, label, TRACE_STYLE_CLASS[node.style]!));
  }
  for (const edge of scene.edges) {
    const arrow = edge.kind === "flow" ? flowArrow(edge) : `-. ${edge.label ?? edge.kind} .->`;
    lines.push(`    ${idFor(edge.from)} ${arrow} ${idFor(edge.to)}`);
  }
  lines.push(...TRACE_CLASS_DEFS);
  return lines.join("\n");
}

/** `-->`; a thick `==>` for many events (a fan-out's, a fan-in's); dotted for a subclass. */
function flowArrow(look: { variant?: "many" | "subclass"; label?: string }): string {
  const label = look.label ? `|"${mermaidLabel(look.label)}"|` : "";
  if (look.variant === "many") return `==>${label}`;
  if (look.variant === "subclass") return `-.->${label}`;
  return `-->${label}`;
}

const TRACE_STYLE_CLASS: Record<string, string> = {
  step: "stepStyle",
  external: "externalStyle",
  startEvent: "startEventStyle",
  stopEvent: "stopEventStyle",
  event: "defaultEventStyle",
  stepRetrying: "retryingStepStyle",
  stepFailed: "failedStepStyle",
  stepRunning: "runningStepStyle",
  stepCancelled: "cancelledStepStyle",
};

function flowNodeMermaidId(node: FlowNode): string {
  if (node.kind === "step") return `step_${mermaidId(node.name)}`;
  if (node.kind === "event") return `event_${mermaidId(node.eventType)}`;
  return "external_step";
}

function flowNodeLabel(node: FlowNode): string {
  if (node.kind === "event") return node.eventType;
  if (node.kind === "step") return node.name;
  return "external_step";
}

function eventClass(role: Extract<FlowNode, { kind: "event" }>["role"]): string {
  if (role === "start") return "startEventStyle";
  if (role === "stop") return "stopEventStyle";
  return "defaultEventStyle";
}
