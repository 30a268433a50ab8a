/**
 * Places a scene's nodes and routes its edges with dagre (a layered, Sugiyama-style layout), at
 * generation time: the HTML page only draws the result. Node sizes come from the label lengths,
 * which is exact enough because labels are drawn in a monospace font.
 */
import dagre, {
  type EdgeLabel,
  type GraphLabel,
  type graphlib,
  type LayoutConfig,
  type NodeLabel,
  type Point,
} from "@dagrejs/dagre";
import type { Scene, SceneEdge, SceneNode } from "./scene.js";

/** Font size of a node's label, in px (shared with the SVG renderer). */
export const LABEL_FONT_SIZE = 14;
/** Font size of a node's second line (durations, roles), in px. */
export const SUBLABEL_FONT_SIZE = 11;
/** Font size of an edge's label, in px. */
export const EDGE_LABEL_FONT_SIZE = 11;
const CHAR_WIDTH_RATIO = 0.61; // DejaVu Sans Mono / Menlo / Consolas advance width per em, rounded up
/** How far a stacked node's back card sits from the front one, in px. */
export const STACK_OFFSET = 4;
/** How thick the bar of a `fork` or `join` node is, in px. */
export const BAR_HEIGHT = 6;

/** A node with its box: `x`/`y` is the top-left corner, in px. */
export interface PlacedNode {
  node: SceneNode;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge with the points of its route, and where its label (if any) goes. */
export interface PlacedEdge {
  edge: SceneEdge;
  points: { x: number; y: number }[];
  labelAt?: { x: number; y: number };
}

/** A scene laid out: every node placed, every edge routed, and the size of the whole drawing. */
export interface LaidOutScene {
  scene: Scene;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/** Width and height of a node's shape for its label and sublabel. */
export function measureNode(node: SceneNode): { width: number; height: number } {
  const labelWidth = node.label.length * LABEL_FONT_SIZE * CHAR_WIDTH_RATIO;
  const sublabelWidth = (node.sublabel?.length ?? 0) * SUBLABEL_FONT_SIZE * CHAR_WIDTH_RATIO;
  const padding = node.shape === "pill" ? 48 : 32;
  const stack = node.stacked ? STACK_OFFSET : 0;
  const bar = node.shape === "fork" || node.shape === "join" ? BAR_HEIGHT : 0;
  return {
    width: Math.ceil(Math.max(labelWidth, sublabelWidth, 56) + padding) + stack,
    height: (node.sublabel ? 50 : 38) + bar + stack,
  };
}

/** Room for an edge's label (proportional text, so a wider ratio than the labels' monospace). */
function measureEdgeLabel(text: string): { width: number; height: number } {
  return { width: Math.ceil(text.length * EDGE_LABEL_FONT_SIZE * 0.62 + 10), height: 16 };
}

/** A count on a double line (`×n`) goes beside it; other labels sit on their edge. */
function labelPlace(edge: SceneEdge): { labelpos: "c" | "r"; labeloffset?: number } {
  return edge.variant === "many" ? { labelpos: "r", labeloffset: 8 } : { labelpos: "c" };
}

/**
 * Orders each layer with dagre's own heuristic, constrained so that the successors of each node,
 * and the predecessors of each node, stay left to right in scene order. Without this dagre breaks
 * ties to the right, which drew a fan-out's items last to first.
 *
 * The constraints cover dagre's dummy nodes too (every edge gets at least one, as dagre doubles
 * edge lengths to make room for labels), or the edges would still cross. All of them follow one
 * key per node, so they can never contradict each other: a node's place in the scene, and for a
 * dummy, its edge's target and then its source.
 */
type CustomOrder = (
  graph: graphlib.Graph,
  order: (graph: graphlib.Graph, options: LayoutConfig) => void,
) => void;

function sceneOrder(scene: Scene): CustomOrder {
  const position = new Map(scene.nodes.map((node, at) => [node.id, at]));
  const fraction = (id: string) => ((position.get(id) ?? 0) + 1) / (scene.nodes.length + 2);
  return (graph, order) => {
    const key = (id: string): number => {
      const placed = graph.node(id) as { dummy?: string; edgeObj?: { v: string; w: string } };
      const edge = placed?.dummy ? placed.edgeObj : undefined;
      if (edge) return (position.get(edge.w) ?? 0) + fraction(edge.v);
      return position.get(id) ?? 0;
    };
    const constraints: { left: string; right: string }[] = [];
    const seen = new Set<string>();
    const constrain = (siblings: string[] | void) => {
      if (!siblings || siblings.length < 2) return;
      const ordered = [...siblings].sort((a, b) => key(a) - key(b));
      for (let at = 1; at < ordered.length; at++) {
        const pair = `${ordered[at - 1]}\u0000${ordered[at]}`;
        if (seen.has(pair)) continue;
        seen.add(pair);
        constraints.push({ left: ordered[at - 1]!, right: ordered[at]! });
      }
    };
    for (const id of graph.nodes()) {
      constrain(graph.successors(id));
      constrain(graph.predecessors(id));
    }
    order(graph, { constraints });
  };
}

/**
 * Orders each layer with dagre's own heuristic, constrained only so that the predecessors of the
 * nodes named in `inputOrder` stay left to right as listed (for a dummy, by its edge's source).
 * Each constraint is among the predecessors of one node, so none can contradict another.
 */
function inputOrder(order: Readonly<Record<string, readonly string[]>>): CustomOrder {
  return (graph, run) => {
    const constraints: { left: string; right: string }[] = [];
    for (const [id, inputs] of Object.entries(order)) {
      if (!graph.hasNode(id)) continue;
      const key = (predecessor: string): number => {
        const placed = graph.node(predecessor) as { dummy?: string; edgeObj?: { v: string } };
        const source = placed?.dummy && placed.edgeObj ? placed.edgeObj.v : predecessor;
        const at = inputs.indexOf(source);
        return at < 0 ? inputs.length : at;
      };
      const ordered = [...(graph.predecessors(id) ?? [])].sort((a, b) => key(a) - key(b));
      for (let at = 1; at < ordered.length; at++) {
        constraints.push({ left: ordered[at - 1]!, right: ordered[at]! });
      }
    }
    run(graph, { constraints });
  };
}

/** Lays a scene out top to bottom with dagre. */
export function layoutScene(scene: Scene): LaidOutScene {
  const graph = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: false });
  graph.setGraph({
    rankdir: "TB",
    nodesep: 40,
    ranksep: 46,
    edgesep: 18,
    marginx: 24,
    marginy: 24,
    ranker: "network-simplex",
  });
  graph.setDefaultEdgeLabel(() => ({}));

  const known = new Set<string>();
  for (const node of scene.nodes) {
    graph.setNode(node.id, measureNode(node));
    known.add(node.id);
  }
  const edges = scene.edges.filter((edge) => known.has(edge.from) && known.has(edge.to));
  for (const edge of edges) {
    graph.setEdge(
      edge.from,
      edge.to,
      edge.label
        ? { ...measureEdgeLabel(edge.label), ...labelPlace(edge), minlen: 1 }
        : { minlen: 1 },
    );
  }

  const customOrder = scene.keepOrder
    ? sceneOrder(scene)
    : scene.inputOrder && Object.keys(scene.inputOrder).length > 0
      ? inputOrder(scene.inputOrder)
      : undefined;
  dagre.layout(graph, customOrder ? { customOrder } : {});

  const nodes = scene.nodes.map((node): PlacedNode => {
    const placed = graph.node(node.id);
    const width = placed.width;
    const height = placed.height;
    return { node, x: (placed.x ?? 0) - width / 2, y: (placed.y ?? 0) - height / 2, width, height };
  });
  const placedEdges = edges.map((edge): PlacedEdge => {
    const label = graph.edge(edge.from, edge.to) as EdgeLabel | undefined;
    const points = (label?.points ?? []).map((point: Point) => ({ x: point.x, y: point.y }));
    const placed: PlacedEdge = { edge, points };
    if (edge.label && label?.x !== undefined && label.y !== undefined) {
      placed.labelAt = { x: label.x, y: label.y };
    }
    return placed;
  });
  const size = graph.graph();
  return {
    scene,
    nodes,
    edges: placedEdges,
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0),
  };
}
