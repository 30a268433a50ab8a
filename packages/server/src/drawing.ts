/**
 * `GET /workflows/{name}/draw`: stepwise's own drawing of a served workflow, the self-contained
 * HTML page of `@stepwise/draw` (`renderFlowsHtml`, what `stepwise draw` writes). The drawing
 * library (and its layout engine, dagre) is imported at the first drawing, not when the server
 * starts, and each workflow's page is rendered once: a served workflow's graph does not change.
 */
import type { Workflow } from "@stepwise/core";

type DrawLibrary = typeof import("@stepwise/draw");

let library: Promise<DrawLibrary> | null = null;
const pages = new WeakMap<Workflow, string>();

/** The HTML drawing of every possible flow of `workflow`. */
export async function drawingOf(workflow: Workflow): Promise<string> {
  const cached = pages.get(workflow);
  if (cached !== undefined) return cached;
  library ??= import("@stepwise/draw");
  const { renderFlowsHtml } = await library.catch((error: unknown) => {
    library = null;
    throw error;
  });
  const page = renderFlowsHtml(workflow);
  pages.set(workflow, page);
  return page;
}
