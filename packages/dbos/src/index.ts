/**
 * `@stepwise/dbos`: durable stepwise runs on Postgres through DBOS, over many worker processes.
 * @module
 */
export { DbosRuntime, type DbosRuntimeOptions, queueName, segmentId } from "./dbos-runtime.js";
export { DbosRuntimeError, type DbosRuntimeErrorCode } from "./errors.js";
export {
  type HandlerRow,
  type HandlerRowQuery,
  PgHandlerStore,
  type StoredRunEvent,
} from "./handler-store.js";
