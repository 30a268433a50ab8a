/** `HandlerData`, the body of every handler endpoint, as the Python server writes it. */
import type { EventEnvelope } from "./envelope.js";
import type { HandlerRecord, HandlerStatus } from "./handler-store.js";
import { formatTimestamp } from "./time.js";

/** A handler on the wire (key order as the Python server sends it). */
export interface HandlerData {
  handler_id: string;
  workflow_name: string;
  run_id: string | null;
  error: string | null;
  result: EventEnvelope | null;
  status: HandlerStatus;
  started_at: string;
  updated_at: string | null;
  completed_at: string | null;
}

/** The wire form of a record. */
export function handlerData(record: HandlerRecord): HandlerData {
  return {
    handler_id: record.handlerId,
    workflow_name: record.workflowName,
    run_id: record.runId,
    error: record.error,
    result: record.result,
    status: record.status,
    started_at: formatTimestamp(record.startedAt),
    updated_at: formatTimestamp(record.updatedAt),
    completed_at: record.completedAt === null ? null : formatTimestamp(record.completedAt),
  };
}

/** `GET /handlers/{id}`: 202 while running, 200 once completed, 500 when failed or cancelled. */
export function handlerStatusCode(status: HandlerStatus): 200 | 202 | 500 {
  if (status === "running") return 202;
  return status === "completed" ? 200 : 500;
}
