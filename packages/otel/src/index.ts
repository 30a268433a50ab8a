/**
 * OpenTelemetry tracing for stepwise: every run a span, every step invocation a child span, and
 * what a step's own code traces (an AI SDK call, an HTTP request) under its step.
 *
 * ```ts
 * import { trace } from "@opentelemetry/api";
 * import { createTracingObserver } from "@stepwise/otel";
 *
 * // With an SDK registered (e.g. NodeSDK from @opentelemetry/sdk-node):
 * const wf = new RagFlow({ observers: [createTracingObserver()] });
 * await trace.getTracer("app").startActiveSpan("request", async (span) => {
 *   await wf.run({ query: "What is AI?" }); // `workflow.run RagFlow`, a child of `request`
 *   span.end();
 * });
 * ```
 *
 * @module
 */

// Span names, attribute keys and span event names: what to query in a tracing backend.
export * from "./attributes.js";
export type { TracingOptions } from "./observer.js";
// The observer to pass in a workflow's or a runtime's `observers`.
export { createTracingObserver } from "./observer.js";
export { continueTrace } from "./server.js";
// This package's version, as its tracer reports it.
export { VERSION } from "./version.js";
