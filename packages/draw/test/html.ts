/**
 * Reads what a drawing page drew, from its HTML text: node ids, placed boxes, edges and the
 * details data block.
 */
import assert from "node:assert/strict";

/** Ids of the nodes drawn, in document order. */
export function nodeIds(html: string): string[] {
  return [...html.matchAll(/<g class="sw-node [^"]*" data-id="([^"]+)"/g)].map((m) => m[1]!);
}

/** A node's placed box, in graph coordinates. */
export interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The box of every node drawn. */
export function placedBoxes(html: string): Box[] {
  return [
    ...html.matchAll(
      /data-id="([^"]+)" transform="translate\(([\d.]+) ([\d.]+)\)"[^>]*><title>[^<]*<\/title><rect class="sw-(?:shape|stack)" x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="([\d.]+)"/g,
    ),
  ].map((m) => ({
    id: m[1]!,
    x: Number(m[2]),
    y: Number(m[3]),
    width: Number(m[4]),
    height: Number(m[5]),
  }));
}

/** An edge drawn: its class (`sw-edge`, `sw-edge sw-edge-retry`, ...) and its ends. */
export interface DrawnEdge {
  className: string;
  from: string;
  to: string;
  label: string | undefined;
}

/** Every edge drawn, in document order. */
export function drawnEdges(html: string): DrawnEdge[] {
  return [
    ...html.matchAll(
      /<g class="(sw-edge[^"]*)" data-from="([^"]+)" data-to="([^"]+)">(?:<path [^>]*\/>)+(?:<text [^>]*>([^<]*)<\/text>)?<\/g>/g,
    ),
  ].map((m) => ({ className: m[1]!, from: m[2]!, to: m[3]!, label: m[4] }));
}

/** The details panel data of every node, by node id. */
export type PageDetails = Record<
  string,
  {
    title: string;
    kind: string;
    rows: [string, string][];
    fields?: { name: string; type: string }[];
    note?: string;
  }
>;

/** The JSON data block of a drawing page: sizes and the details of every node. */
export function pageData(html: string): { width: number; height: number; details: PageDetails } {
  const match = /<script type="application\/json" id="sw-data">(.*?)<\/script>/s.exec(html);
  assert.ok(match, "the page has a data block");
  return JSON.parse(match[1]!);
}

/** The classes of a node's `<g>` (`sw-node`, its style, `sw-fork` or `sw-join` for those shapes). */
export function nodeClasses(html: string, id: string): string[] {
  const match = new RegExp(`<g class="(sw-node[^"]*)" data-id="${id}"`).exec(html);
  return match?.[1]?.split(" ") ?? [];
}

/** The label drawn on a node. */
export function nodeLabel(html: string, id: string): string | undefined {
  const start = html.indexOf(`data-id="${id}"`);
  if (start < 0) return undefined;
  const match = /<text class="sw-label"[^>]*>([^<]*)<\/text>/.exec(html.slice(start));
  return match?.[1];
}

/** The second line drawn on a node. */
export function nodeSublabel(html: string, id: string): string | undefined {
  const start = html.indexOf(`data-id="${id}"`);
  if (start < 0) return undefined;
  const end = html.indexOf("</g>", start);
  const match = /<text class="sw-sublabel"[^>]*>([^<]*)<\/text>/.exec(html.slice(start, end));
  return match?.[1];
}
