/**
 * `@stepwise/dbos`: durable stepwise runs on Postgres through DBOS, over many worker processes.
 * @module
 */

export type {
  HandlerRow,
  HandlerRowQuery,
  /** An event a run published, as the database holds it. */
  PublishedEntry as StoredRunEvent,
} from "@stepwise/core/runtime";
export { DbosRuntime, type DbosRuntimeOptions, queueName, segmentId } from "./dbos-runtime.js";
export { DbosRuntimeError, type DbosRuntimeErrorCode } from "./errors.js";
export { PgHandlerStore } from "./handler-store.js";
