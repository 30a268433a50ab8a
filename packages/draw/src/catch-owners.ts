/**
 * Which `@catchError` handler receives each step's failures, read from a workflow graph with the
 * rule core's validation uses: a handler's `forSteps` claim those steps, and a handler without
 * `forSteps` takes every other step that is not itself a handler.
 */
import type { FlowGraph, FlowNode } from "./sources.js";

type StepNode = Extract<FlowNode, { kind: "step" }>;

/** A step whose failures go to a handler, through the handler's `StepFailedEvent` node. */
export interface FailureRoute {
  /** Node id of the step that may fail. */
  step: string;
  /** Node id of the handler. */
  handler: string;
  handlerName: string;
  /** Node id of the event node the handler accepts (its `StepFailedEvent`), if drawn. */
  event: string | undefined;
}

/** The failure routes of a graph, in step order. */
export function failureRoutes(graph: FlowGraph): FailureRoute[] {
  const steps = graph.nodes.filter((node): node is StepNode => node.kind === "step");
  const handlers = steps.filter((step) => step.catchError);
  if (handlers.length === 0) return [];
  const owners = new Map<string, StepNode>();
  for (const handler of handlers) {
    for (const name of handler.catchError?.forSteps ?? []) owners.set(name, handler);
  }
  const wildcard = handlers.find((handler) => handler.catchError?.forSteps == null);
  if (wildcard) {
    for (const step of steps) {
      if (!step.catchError && !owners.has(step.name)) owners.set(step.name, wildcard);
    }
  }
  const failedEventOf = (handler: StepNode) => {
    const events = new Map(graph.nodes.map((node) => [node.id, node]));
    const input = graph.edges.find((edge) => {
      const from = events.get(edge.from);
      return edge.to === handler.id && from?.kind === "event" && from.role === "stepFailed";
    });
    return input?.from;
  };
  const routes: FailureRoute[] = [];
  for (const step of steps) {
    const handler = owners.get(step.name);
    if (!handler) continue;
    routes.push({
      step: step.id,
      handler: handler.id,
      handlerName: handler.name,
      event: failedEventOf(handler),
    });
  }
  return routes;
}
