/**
 * The drawing functions users call: render a workflow or a run as an HTML page or Mermaid text,
 * and the `draw*` variants that also write it to a file (as the Python functions do).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { buildFlowsScene, type LabelOptions } from "./flows-scene.js";
import { renderHtmlPage } from "./html-page.js";
import { layoutScene } from "./layout.js";
import { renderFlowsMermaidText, renderTraceMermaidText } from "./mermaid.js";
import { checkMaxLabelLength } from "./scene.js";
import {
  type FlowGraph,
  type RunTraceData,
  readFlowGraph,
  readRunTrace,
  type TraceSource,
  type WorkflowSource,
} from "./sources.js";
import { buildTraceScene, type TraceSceneOptions } from "./trace-scene.js";

/** Options of the drawings of all possible flows. */
export interface FlowsDrawingOptions extends LabelOptions {}

/** Options of the drawings of one run. */
export interface ExecutionDrawingOptions extends LabelOptions {
  /**
   * The workflow that ran (class, instance or graph). Optional: when given, start and stop
   * events are marked by their declared role instead of by their place in the run.
   */
  workflow?: WorkflowSource | FlowGraph;
}

/** Where a drawing is written. */
export interface FileOptions {
  /** Path of the file to write, relative to the current directory. Parent folders are created. */
  filename?: string;
}

/**
 * Renders every possible flow of a workflow as one self-contained HTML page (no request leaves
 * it): steps, events, the `external` human-in-the-loop node, pan and zoom, details on click.
 *
 * @param source a Workflow subclass (it is not instantiated), an instance, or a graph from
 *   `getWorkflowGraph`.
 * @returns the HTML text.
 */
export function renderFlowsHtml(
  source: WorkflowSource | FlowGraph,
  options: FlowsDrawingOptions = {},
): string {
  checkMaxLabelLength(options.maxLabelLength);
  return renderHtmlPage(layoutScene(buildFlowsScene(readFlowGraph(source), options)));
}

/**
 * Writes the drawing of every possible flow of a workflow to an HTML file (see
 * {@link renderFlowsHtml}).
 *
 * @example
 * ```ts
 * drawAllPossibleFlows(RAGWorkflow, { filename: "rag.html" });
 * ```
 * @returns the absolute path of the file written.
 */
export function drawAllPossibleFlows(
  source: WorkflowSource | FlowGraph,
  options: FlowsDrawingOptions & FileOptions = {},
): string {
  return writeDrawing(
    options.filename ?? "workflow_all_flows.html",
    renderFlowsHtml(source, options),
  );
}

/**
 * Returns every possible flow of a workflow as Mermaid `flowchart TD` text, and writes it to
 * `filename` when one is given.
 */
export function drawAllPossibleFlowsMermaid(
  source: WorkflowSource | FlowGraph,
  options: FlowsDrawingOptions & FileOptions = {},
): string {
  checkMaxLabelLength(options.maxLabelLength);
  const text = renderFlowsMermaidText(readFlowGraph(source), options);
  if (options.filename !== undefined) writeDrawing(options.filename, text);
  return text;
}

/**
 * Renders what one run did as a self-contained HTML page: each event instance and each step
 * invocation attempt (`name#seq`) in order, with durations, retries and failures.
 *
 * @param source a workflow handler (the value `wf.run()` returns), during or after its run, or a
 *   trace it returned.
 * @returns the HTML text.
 */
export function renderExecutionHtml(
  source: TraceSource | RunTraceData,
  options: ExecutionDrawingOptions = {},
): string {
  checkMaxLabelLength(options.maxLabelLength);
  const scene = buildTraceScene(readRunTrace(source), traceOptions(options));
  return renderHtmlPage(layoutScene(scene));
}

/**
 * Writes the drawing of what one run did to an HTML file (see {@link renderExecutionHtml}).
 *
 * @example
 * ```ts
 * const handler = wf.run({ query: "What is AI?" });
 * await handler;
 * drawMostRecentExecution(handler, { filename: "run.html" });
 * ```
 * @returns the absolute path of the file written.
 */
export function drawMostRecentExecution(
  source: TraceSource | RunTraceData,
  options: ExecutionDrawingOptions & FileOptions = {},
): string {
  return writeDrawing(
    options.filename ?? "workflow_recent_execution.html",
    renderExecutionHtml(source, options),
  );
}

/**
 * Returns what one run did as Mermaid `flowchart TD` text, and writes it to `filename` when one
 * is given. Retries are dotted `retry` edges; failed and retried attempts have their own classes.
 */
export function drawMostRecentExecutionMermaid(
  source: TraceSource | RunTraceData,
  options: ExecutionDrawingOptions & FileOptions = {},
): string {
  checkMaxLabelLength(options.maxLabelLength);
  const text = renderTraceMermaidText(readRunTrace(source), traceOptions(options));
  if (options.filename !== undefined) writeDrawing(options.filename, text);
  return text;
}

function traceOptions(options: ExecutionDrawingOptions): TraceSceneOptions {
  const result: TraceSceneOptions = {};
  if (options.maxLabelLength !== undefined) result.maxLabelLength = options.maxLabelLength;
  if (options.workflow !== undefined) result.graph = readFlowGraph(options.workflow);
  return result;
}

function writeDrawing(filename: string, text: string): string {
  const path = resolve(filename);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, "utf8");
  return path;
}
