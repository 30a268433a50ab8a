/**
 * `@stepwise/client`: a typed client of the LlamaIndex workflow server's protocol, as a stepwise
 * server (`@stepwise/server`) or a Python `WorkflowServer` speaks it. `fetch` only, no
 * dependencies; Node 20+ and browsers.
 *
 * @example
 * import { WorkflowClient } from "@stepwise/client";
 *
 * const client = new WorkflowClient({ baseUrl: "http://127.0.0.1:4501" });
 * const handler = await client.run("greet", { name: "Ada" });
 * console.log(handler.status, handler.result?.value); // completed { result: "Hello, Ada!" }
 *
 * @module
 */

export type {
  HandlersFilter,
  RunOptions,
  StartInput,
  StreamEventsOptions,
  StreamedEvent,
  WorkflowClientOptions,
} from "./client.js";
// The client.
export { WorkflowClient } from "./client.js";
// Errors: the server said no, a stream could not be resumed, an event did not fit its class.
export { EventDecodeError, StreamDisconnectedError, WorkflowServerError } from "./errors.js";
export type { DecodedEvent, EventClassLike, EventInput } from "./events.js";
// Events between your classes and the wire.
export { fieldsOf } from "./events.js";
export type {
  EventEnvelope,
  HandlerData,
  HandlerStatus,
  JsonSchema,
  WorkflowGraph,
  WorkflowGraphNode,
} from "./protocol.js";
