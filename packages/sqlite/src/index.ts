/**
 * `@stepwise/sqlite`: durable stepwise runs on one machine. Every run is journaled in one SQLite
 * file, each drain batch committed before its effects are seen (the batches runs hand over in
 * one turn share a transaction); a process killed at any point and started again with
 * the same file recovers every unfinished run it owned.
 *
 * @example
 * import { SqliteRuntime } from "@stepwise/sqlite";
 *
 * const runtime = new SqliteRuntime({ path: "runs.db" });
 * const wf = new MyFlow({ runtime });
 * await runtime.recover([wf]); // after a crash: unfinished runs go on
 * console.log(await wf.run({ topic: "pirates" }));
 *
 * @module
 */

export type {
  HandlerRow,
  HandlerRowQuery,
  /** An event a run published, as its journal holds it. */
  PublishedEntry as JournaledEvent,
} from "@stepwise/core/runtime";
export type { Synchronous } from "./database.js";
export { SqliteHandlerStore } from "./handler-store.js";
export type { SqliteRuntimeOptions } from "./sqlite-runtime.js";
export { SqliteRuntime } from "./sqlite-runtime.js";
