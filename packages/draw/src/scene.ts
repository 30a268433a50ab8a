/**
 * A scene is what every drawing is made of before it becomes HTML or Mermaid: labelled nodes with a
 * shape, a style and the details shown on click, plus the edges between them. Workflow graphs and
 * run traces are turned into scenes; the renderers know nothing about either.
 */

/**
 * How a node is outlined. Steps are boxes, events are pills (as in the Python drawing). A step
 * that fans out is a `fork`, a box with a bar along its bottom where its many events leave; one
 * that collects or joins is a `join`, a box with a bar along its top where its inputs meet.
 */
export type NodeShape = "box" | "pill" | "fork" | "join";

/** One colour scheme per kind of node. The first five use the Python drawing's colours. */
export type NodeStyle =
  | "step"
  | "external"
  | "startEvent"
  | "stopEvent"
  | "event"
  | "stepRetrying"
  | "stepFailed"
  | "stepRunning"
  | "stepCancelled";

/** A row of the fields table of an event's details. */
export interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  defaultValue?: string;
  description?: string;
}

/** What the details panel shows when a node is clicked. */
export interface NodeDetails {
  title: string;
  kind: string;
  rows: [label: string, value: string][];
  fields?: FieldRow[];
  note?: string;
  error?: string;
  schema?: unknown;
}

/** A node of a scene. `label` is what is drawn (possibly shortened), `fullName` is never shortened. */
export interface SceneNode {
  id: string;
  label: string;
  fullName: string;
  sublabel?: string;
  shape: NodeShape;
  style: NodeStyle;
  /** Drawn as a stack: the node stands for several invocations or event instances. */
  stacked?: boolean;
  details: NodeDetails;
}

/**
 * A directed edge of a scene. A `retry` edge links one attempt of a step to the next one; a
 * `failure` edge goes from a step (or a failed attempt) to the event sent when it fails.
 */
export interface SceneEdge {
  from: string;
  to: string;
  kind: "flow" | "retry" | "failure";
  /**
   * A flow edge that carries many events (a fan-out's items, a fan-in's inputs), drawn as a
   * double line; or one that carries subclasses of what the step accepts, drawn dotted.
   */
  variant?: "many" | "subclass";
  /** Text drawn on the edge. */
  label?: string;
}

/** An entry of the legend drawn above the graph. */
export interface LegendEntry {
  label: string;
  shape: NodeShape;
  style: NodeStyle;
}

/** Everything one drawing shows. */
export interface Scene {
  title: string;
  subtitle: string;
  nodes: SceneNode[];
  edges: SceneEdge[];
  legend: LegendEntry[];
  /**
   * Keep nodes that share a predecessor or a successor left to right in the order of `nodes`
   * (a run lists them in the order they happened; the layout would otherwise pick any order).
   */
  keepOrder?: boolean;
  /** Per node id, the ids of its predecessors in the order they are drawn, left to right. */
  inputOrder?: Readonly<Record<string, readonly string[]>>;
}

/** Colours of one node style: fill, outline, text, and whether the outline is dashed. */
export interface StylePaint {
  fill: string;
  stroke: string;
  text: string;
  dashed: boolean;
}

/**
 * Colours per style. Steps, external, start, stop and other events use the colours of
 * llama-index-utils-workflow's drawings so that people who know those read ours the same way.
 */
export const STYLE_PAINT: Record<NodeStyle, StylePaint> = {
  step: { fill: "#ADD8E6", stroke: "#3b7a91", text: "#0b2530", dashed: false },
  external: { fill: "#BEDAE4", stroke: "#56707a", text: "#0b2530", dashed: true },
  startEvent: { fill: "#E27AFF", stroke: "#8e2fa8", text: "#2a0633", dashed: false },
  stopEvent: { fill: "#FFA07A", stroke: "#b5552e", text: "#3a1204", dashed: false },
  event: { fill: "#90EE90", stroke: "#3d8f3d", text: "#0c2b0c", dashed: false },
  stepRetrying: { fill: "#FFD580", stroke: "#b07800", text: "#3a2700", dashed: true },
  stepFailed: { fill: "#FF8A80", stroke: "#b3261e", text: "#3b0906", dashed: false },
  stepRunning: { fill: "#FFF3B0", stroke: "#a38f1d", text: "#332b00", dashed: true },
  stepCancelled: { fill: "#D9D9D9", stroke: "#7a7a7a", text: "#262626", dashed: true },
};

/**
 * Shortens a label the way the Python drawing does: `label[:max-1] + "*"` when it is longer than
 * `maxLength`; unchanged when `maxLength` is undefined.
 */
export function truncateLabel(label: string, maxLength: number | undefined): string {
  if (maxLength === undefined || label.length <= maxLength) return label;
  return label.slice(0, Math.max(maxLength - 1, 0)) + "*";
}

/** Checks the `maxLabelLength` option, naming what was received when it is unusable. */
export function checkMaxLabelLength(maxLength: number | undefined): void {
  if (maxLength === undefined) return;
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`\`maxLabelLength\` must be an integer of at least 1; got ${maxLength}`);
  }
}
