/**
 * `@stepwise/server`: serve stepwise workflows over HTTP with the LlamaIndex workflow server's
 * protocol, so that LlamaIndex's clients (`@llamaindex/workflows-client`, the Python
 * `WorkflowClient`), its workflow debugger and `@stepwise/client` can run, watch, answer and
 * cancel them.
 *
 * @example
 * import { createServer, serve } from "@stepwise/server";
 * import { GreetFlow } from "./greet.js";
 *
 * const app = createServer({ workflows: { greet: new GreetFlow() } });
 * const { url } = await serve(app, { port: 4501 });
 * // curl -X POST $url/workflows/greet/run -d '{"start_event":{"name":"Ada"}}'
 *
 * @module
 */

export type { DebuggerOptions } from "./debugger-ui.js";
// The wire: event envelopes and handlers as clients see them.
export type { EventEnvelope } from "./envelope.js";
export { envelopeOf } from "./envelope.js";
export type { HandlerData } from "./handler-data.js";
export { handlerData } from "./handler-data.js";
export type {
  HandlerQuery,
  HandlerRecord,
  HandlerStatus,
  HandlerStore,
  MaybePromise,
  StoredEvent,
} from "./handler-store.js";
// Handler records: where the server keeps what it started.
export { HANDLER_STATUSES, MemoryHandlerStore } from "./handler-store.js";
export type { RunningServer, ServeOptions } from "./serve.js";
// Listening with Node's HTTP server.
export { serve } from "./serve.js";
export type { ServerOptions, ServerStats } from "./server.js";
// The app.
export { createServer, serverStats } from "./server.js";
