/**
 * Drawings of stepwise workflows, made from the declared `accepts`/`emits` (core's
 * `getWorkflowGraph`) and from a run's own record (`handler.trace()`), never from source text.
 *
 * @example
 * ```ts
 * import { drawAllPossibleFlows, drawAllPossibleFlowsMermaid, drawMostRecentExecution } from "@stepwise/draw";
 *
 * drawAllPossibleFlows(RAGWorkflow, { filename: "rag.html" });       // a class: not instantiated
 * console.log(drawAllPossibleFlowsMermaid(new RAGWorkflow()));        // flowchart TD ...
 *
 * const handler = new RAGWorkflow().run({ query: "What is AI?" });
 * await handler;
 * drawMostRecentExecution(handler, { filename: "rag-run.html" });     // what that run did
 * ```
 *
 * @packageDocumentation
 */

// Draw a workflow's possible flows, or one run, to HTML or Mermaid
export {
  drawAllPossibleFlows,
  drawAllPossibleFlowsMermaid,
  drawMostRecentExecution,
  drawMostRecentExecutionMermaid,
  type ExecutionDrawingOptions,
  type FileOptions,
  type FlowsDrawingOptions,
  renderExecutionHtml,
  renderFlowsHtml,
} from "./draw.js";
// Helpers
export type { LabelOptions } from "./flows-scene.js";
export { truncateLabel } from "./scene.js";
// What a drawing reads
export type {
  FlowGraph,
  FlowNode,
  RunTraceData,
  RunTraceEvent,
  RunTraceInvocation,
  TraceSource,
  WorkflowSource,
} from "./sources.js";
