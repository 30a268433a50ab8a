/**
 * The graph of `GET /workflows/{name}/representation`, in the Python `WorkflowGraph` shape the
 * LlamaIndex clients validate: step nodes named by the step, event nodes by the event type, an
 * `external_step` node for human-in-the-loop, edges `{ source, target, label }`.
 */
import { type EventClass, getWorkflowGraph, type Workflow } from "@stepwise/core";
import { eventTypes } from "./envelope.js";
import { eventSchema } from "./schemas.js";

/** A node of {@link WorkflowRepresentation}. */
export type RepresentationNode =
  | { id: string; label: string; node_type: "step"; description: string | null }
  | {
      id: string;
      label: string;
      node_type: "event";
      event_type: string;
      /** The class itself first, then the event classes it extends. */
      event_types: string[];
      event_schema: Record<string, unknown>;
      /** The steps that declare they emit it. */
      produced_by: string[];
    }
  | { id: "external_step"; label: "external_step"; node_type: "external" };

/** A workflow as a graph, as the Python server sends it. */
export interface WorkflowRepresentation {
  name: string;
  nodes: RepresentationNode[];
  edges: { source: string; target: string; label: string | null }[];
  description: string | null;
}

/** Builds the representation of a workflow from its declared `accepts` and `emits`. */
export function representWorkflow(workflow: Workflow): WorkflowRepresentation {
  const graph = getWorkflowGraph(workflow);
  const classes = new Map<string, EventClass>(workflow.events.map((cls) => [cls.eventType, cls]));
  const ids = new Map<string, string>();
  const producers = new Map<string, string[]>();
  const nodes: RepresentationNode[] = [];
  for (const node of graph.nodes) {
    if (node.kind === "step") {
      ids.set(node.id, node.name);
      nodes.push({ id: node.name, label: node.name, node_type: "step", description: null });
      for (const emitted of node.emits) {
        producers.set(emitted, [...(producers.get(emitted) ?? []), node.name]);
      }
    }
  }
  for (const node of graph.nodes) {
    if (node.kind === "event") {
      ids.set(node.id, node.eventType);
      const cls = classes.get(node.eventType);
      nodes.push({
        id: node.eventType,
        label: node.eventType,
        node_type: "event",
        event_type: node.eventType,
        event_types: [node.eventType, ...((cls && eventTypes(cls)) ?? [])],
        event_schema: cls ? eventSchema(cls) : (node.schema as Record<string, unknown>),
        produced_by: producers.get(node.eventType) ?? [],
      });
    } else if (node.kind === "external") {
      ids.set(node.id, "external_step");
      nodes.push({ id: "external_step", label: "external_step", node_type: "external" });
    }
  }
  const edges = graph.edges.map((edge) => ({
    source: ids.get(edge.from) ?? edge.from,
    target: ids.get(edge.to) ?? edge.to,
    label: null,
  }));
  return { name: workflow.workflowName, nodes, edges, description: null };
}
