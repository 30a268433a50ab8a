/**
 * Renders a laid-out scene as SVG markup. The markup is static: the page's script only moves the
 * viewport and reads `data-id` attributes to show details.
 */
import {
  BAR_HEIGHT,
  EDGE_LABEL_FONT_SIZE,
  LABEL_FONT_SIZE,
  type LaidOutScene,
  type PlacedEdge,
  type PlacedNode,
  STACK_OFFSET,
  SUBLABEL_FONT_SIZE,
} from "./layout.js";
import { type NodeShape, type NodeStyle, STYLE_PAINT } from "./scene.js";

/** Escapes text for HTML and SVG text content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** The CSS rules that colour each node style (used by the graph and by the legend). */
export function styleRules(): string {
  return Object.entries(STYLE_PAINT)
    .map(
      ([style, paint]) =>
        `.sw-${style} .sw-shape,.sw-${style} .sw-stack{fill:${paint.fill};stroke:${paint.stroke};` +
        `${paint.dashed ? "stroke-dasharray:5 3;" : ""}}` +
        `.sw-${style} .sw-bar{fill:${paint.stroke};}` +
        `.sw-${style} text{fill:${paint.text};}`,
    )
    .join("\n");
}

/** The `<g>` holding every edge and node of the scene, in graph coordinates. */
export function renderSceneSvg(laidOut: LaidOutScene): string {
  const edges = laidOut.edges.map(renderEdge).join("\n");
  const nodes = laidOut.nodes.map(renderNode).join("\n");
  return `<g class="sw-edges">\n${edges}\n</g>\n<g class="sw-nodes">\n${nodes}\n</g>`;
}

/** A small shape for the legend. */
export function renderLegendSwatch(shape: NodeShape, style: NodeStyle): string {
  const width = 30;
  const height = 16;
  return (
    `<svg class="sw-${style}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" aria-hidden="true">` +
    shapeMarkup(shape, width - 2, height - 2, 1, 1) +
    "</svg>"
  );
}

function renderNode(placed: PlacedNode): string {
  const { node, x, y } = placed;
  // A stack is a card behind the node, offset down and right, within the node's placed box.
  const stack = node.stacked ? STACK_OFFSET : 0;
  const width = placed.width - stack;
  const height = placed.height - stack;
  const center = width / 2;
  const barred = node.shape === "fork" || node.shape === "join";
  // The text sits in the middle of what the bar leaves free.
  const middle =
    node.shape === "join"
      ? (height + BAR_HEIGHT) / 2
      : node.shape === "fork"
        ? (height - BAR_HEIGHT) / 2
        : height / 2;
  const text: string[] = [];
  if (node.sublabel) {
    text.push(
      `<text class="sw-label" x="${center}" y="${middle - 7}" font-size="${LABEL_FONT_SIZE}">${escapeXml(node.label)}</text>`,
      `<text class="sw-sublabel" x="${center}" y="${middle + 12}" font-size="${SUBLABEL_FONT_SIZE}">${escapeXml(node.sublabel)}</text>`,
    );
  } else {
    text.push(
      `<text class="sw-label" x="${center}" y="${middle}" font-size="${LABEL_FONT_SIZE}">${escapeXml(node.label)}</text>`,
    );
  }
  return (
    `<g class="sw-node sw-${node.style}${barred ? ` sw-${node.shape}` : ""}" data-id="${escapeXml(node.id)}" transform="translate(${round(x)} ${round(y)})" ` +
    `tabindex="0" role="button" aria-label="${escapeXml(`${node.details.kind}: ${node.fullName}`)}">` +
    `<title>${escapeXml(node.fullName)}</title>` +
    (stack ? shapeMarkup(node.shape, width, height, stack, stack, "sw-stack") : "") +
    shapeMarkup(node.shape, width, height, 0, 0) +
    text.join("") +
    "</g>"
  );
}

function shapeMarkup(
  shape: NodeShape,
  width: number,
  height: number,
  x: number,
  y: number,
  className = "sw-shape",
): string {
  const radius = shape === "pill" ? height / 2 : Math.min(6, height / 5);
  const rect = `<rect class="${className}" x="${x}" y="${y}" width="${round(width)}" height="${round(height)}" rx="${round(radius)}" ry="${round(radius)}"/>`;
  if (className !== "sw-shape" || (shape !== "fork" && shape !== "join")) return rect;
  // The bar of a fork (bottom: where the many leave) or a join (top: where the inputs meet).
  const bar = Math.min(BAR_HEIGHT, height / 3);
  const barY = shape === "join" ? y : y + height - bar;
  return `${rect}<rect class="sw-bar" x="${x}" y="${round(barY)}" width="${round(width)}" height="${round(bar)}" rx="${round(Math.min(radius, bar / 2))}" ry="${round(Math.min(radius, bar / 2))}"/>`;
}

function renderEdge(placed: PlacedEdge): string {
  const { edge, points } = placed;
  if (points.length < 2) return "";
  const variant = edge.kind === "flow" && edge.variant ? ` sw-edge-${edge.variant}` : "";
  const kind = edge.kind === "flow" ? `sw-edge${variant}` : `sw-edge sw-edge-${edge.kind}`;
  const marker = edge.kind === "flow" ? "url(#sw-arrow)" : `url(#sw-arrow-${edge.kind})`;
  const label =
    placed.labelAt && edge.label
      ? `<text class="sw-edge-label" x="${round(placed.labelAt.x)}" y="${round(placed.labelAt.y)}" font-size="${EDGE_LABEL_FONT_SIZE}">${escapeXml(edge.label)}</text>`
      : "";
  const d = curvePath(points);
  // A double line: a wide stroke with a thin gap drawn down its middle, then the arrow alone on
  // a path of the ordinary width (markers scale with the stroke width).
  const paths =
    edge.kind === "flow" && edge.variant === "many"
      ? `<path class="sw-edge-line" d="${d}"/><path class="sw-edge-gap" d="${d}"/><path class="sw-edge-tip" d="${d}" marker-end="${marker}"/>`
      : `<path d="${d}" marker-end="${marker}"/>`;
  return (
    `<g class="${kind}" data-from="${escapeXml(edge.from)}" data-to="${escapeXml(edge.to)}">` +
    `${paths}${label}</g>`
  );
}

/**
 * A smooth path through the route's points: straight for two points, otherwise a uniform cubic
 * B-spline that starts and ends exactly on the route's end points (so the arrow touches the node).
 */
export function curvePath(points: { x: number; y: number }[]): string {
  const first = points[0]!;
  if (points.length === 2) {
    const last = points[1]!;
    return `M${round(first.x)},${round(first.y)}L${round(last.x)},${round(last.y)}`;
  }
  // Each end point appears three times, which clamps the spline to it. Segment i of a uniform
  // cubic B-spline over p[i-1..i+2] is the Bézier below; it starts where segment i-1 ends.
  const p = [first, first, ...points, points[points.length - 1]!, points[points.length - 1]!];
  let d = `M${round(first.x)},${round(first.y)}`;
  for (let i = 1; i < p.length - 2; i++) {
    const p1 = p[i]!;
    const p2 = p[i + 1]!;
    const p3 = p[i + 2]!;
    const c1 = { x: (2 * p1.x + p2.x) / 3, y: (2 * p1.y + p2.y) / 3 };
    const c2 = { x: (p1.x + 2 * p2.x) / 3, y: (p1.y + 2 * p2.y) / 3 };
    const end = { x: (p1.x + 4 * p2.x + p3.x) / 6, y: (p1.y + 4 * p2.y + p3.y) / 6 };
    d += `C${round(c1.x)},${round(c1.y)} ${round(c2.x)},${round(c2.y)} ${round(end.x)},${round(end.y)}`;
  }
  return d;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
