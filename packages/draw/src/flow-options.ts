/**
 * How the options that shape a step's input and output are drawn: `fanOut` (a fork, whose edges
 * to its events carry many), `collect` and `join` (a join, where the inputs meet), and
 * `acceptEventSubclasses` (dotted edges from the subclasses). Shared by the drawings of all
 * possible flows, their Mermaid text, and the drawings of a run.
 */
import type { NodeDetails, NodeShape, SceneEdge } from "./scene.js";
import type { FlowGraph, FlowNode } from "./sources.js";

/** A step node of a workflow graph. */
export type StepNode = Extract<FlowNode, { kind: "step" }>;

/** The shape of a step: a fork when it fans out, a join when it collects or joins, else a box. */
export function stepShape(node: StepNode): NodeShape {
  if (node.collect || node.join) return "join";
  if (node.fanOut) return "fork";
  return "box";
}

/** `collect all`, `take 3`, or undefined for a step that does not collect. */
export function collectText(node: StepNode): string | undefined {
  if (!node.collect) return undefined;
  return node.collect === true ? "collect all" : `take ${node.collect.take}`;
}

/** `join Header + Body`, or undefined for a step that does not join. */
export function joinText(node: StepNode): string | undefined {
  return node.join ? `join ${node.accepts.join(" + ")}` : undefined;
}

/** What the step's options say at a glance, in the order they act: in, then out. */
export function flowOptionTexts(node: StepNode): string[] {
  const texts: string[] = [];
  const input = collectText(node) ?? joinText(node);
  if (input) texts.push(input);
  if (node.acceptEventSubclasses) texts.push("+ subclasses");
  if (node.fanOut) texts.push("fan-out");
  return texts;
}

/** The details panel rows of the options a step sets (none for a step that sets none). */
export function flowOptionRows(node: StepNode, subclasses: readonly string[]): NodeDetails["rows"] {
  const rows: NodeDetails["rows"] = [];
  const accepted = node.accepts.join(", ") || "—";
  if (node.collect === true) {
    rows.push([
      "Fan-in",
      `collect all: runs once per fan-out collection with every ${accepted} its branches produced, as an array in fan-out order ([] when none did)`,
    ]);
  } else if (node.collect) {
    rows.push([
      "Fan-in",
      `take ${node.collect.take}: runs on the ${ordinal(node.collect.take)} ${accepted} of a fan-out collection, with the first ${node.collect.take} to arrive`,
    ]);
  }
  if (node.join) {
    rows.push([
      "Join",
      `runs once it holds one ${node.accepts.join(" and one ")}, receiving [${node.accepts.join(", ")}]`,
    ]);
  }
  if (node.acceptEventSubclasses) {
    rows.push([
      "Subclasses",
      subclasses.length > 0
        ? `also receives subclasses of ${accepted}: ${subclasses.join(", ")}`
        : `also receives subclasses of ${accepted} (none in this workflow)`,
    ]);
  }
  if (node.fanOut) {
    const emitted = node.emits.join(", ") || "events";
    rows.push([
      "Fan-out",
      `may return an array of ${emitted}: each item starts a branch, and the array is one collection`,
    ]);
  }
  return rows;
}

/**
 * The look of a graph edge given the steps at its ends: many items out of a fan-out step, many
 * inputs into a collect step, or a subclass of what the step accepts.
 */
export function flowEdgeLook(
  edge: { from: string; to: string },
  nodes: ReadonlyMap<string, FlowNode>,
): Pick<SceneEdge, "variant" | "label"> {
  const from = nodes.get(edge.from);
  const to = nodes.get(edge.to);
  if (from?.kind === "step" && to?.kind === "event" && from.fanOut && to.role !== "stop") {
    return { variant: "many", label: "×n" };
  }
  if (from?.kind === "event" && to?.kind === "step") {
    const subclass = isSubclassEdge(from.eventType, to);
    if (to.collect) {
      const label = to.collect === true ? "×n" : `first ${to.collect.take}`;
      return { variant: "many", label: subclass ? `${label} · subclass` : label };
    }
    if (subclass) return { variant: "subclass", label: "subclass" };
  }
  return {};
}

/** Per step id, the events that reach it only as subclasses of what it accepts. */
export function subclassInputs(graph: FlowGraph): Map<string, string[]> {
  const nodes = new Map(graph.nodes.map((node) => [node.id, node]));
  const result = new Map<string, string[]>();
  for (const edge of graph.edges) {
    const from = nodes.get(edge.from);
    const to = nodes.get(edge.to);
    if (from?.kind !== "event" || to?.kind !== "step" || !isSubclassEdge(from.eventType, to)) {
      continue;
    }
    const list = result.get(to.id) ?? [];
    list.push(from.eventType);
    result.set(to.id, list);
  }
  return result;
}

/** An edge into a step that takes subclasses, from an event it does not name in `accepts`. */
function isSubclassEdge(eventType: string, step: StepNode): boolean {
  return step.acceptEventSubclasses === true && !step.accepts.includes(eventType);
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}
