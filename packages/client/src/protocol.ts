/**
 * The LlamaIndex workflow server's protocol as data: what its routes send and take. Field names
 * are the wire's own (`handler_id`, `qualified_name`).
 */

/** A handler's status. */
export type HandlerStatus = "running" | "completed" | "failed" | "cancelled";

/** An event as a server sends it. */
export interface EventEnvelope {
  /** The event's fields; untyped fields of a start or stop event under `_data`. */
  readonly value: Record<string, unknown>;
  readonly qualified_name?: string | null;
  /** The event's type name. */
  readonly type: string;
  /** The event classes it extends, nearest first (up to, not including, `Event`). */
  readonly types?: readonly string[] | null;
}

/** A handler: one run started on the server, and how it ended. */
export interface HandlerData {
  readonly handler_id: string;
  readonly workflow_name: string;
  readonly run_id: string | null;
  /** The message of the run's error, when it failed. */
  readonly error: string | null;
  /** The stop event, when it completed. */
  readonly result: EventEnvelope | null;
  readonly status: HandlerStatus;
  /** ISO-8601 timestamps. */
  readonly started_at: string;
  readonly updated_at: string | null;
  readonly completed_at: string | null;
}

/** A JSON Schema, as the server sends it. */
export type JsonSchema = Record<string, unknown>;

/** A node of a {@link WorkflowGraph}. */
export interface WorkflowGraphNode {
  readonly id: string;
  readonly label: string;
  /** `step`, `event` or `external` (and other kinds a Python server may send). */
  readonly node_type: string;
  readonly description?: string | null;
  readonly event_type?: string;
  readonly event_types?: readonly string[];
  readonly event_schema?: JsonSchema | null;
  readonly produced_by?: readonly string[];
}

/** A workflow's steps and events as a graph (`GET /workflows/{name}/representation`). */
export interface WorkflowGraph {
  readonly name: string;
  readonly nodes: readonly WorkflowGraphNode[];
  readonly edges: readonly { source: string; target: string; label?: string | null }[];
  readonly description?: string | null;
}
