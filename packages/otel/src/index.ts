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
export {
  ATTR_ERROR_TYPE,
  ATTR_EVENT_TYPE,
  ATTR_RETRY_DELAY_MS,
  ATTR_RETRY_NEXT_ATTEMPT,
  ATTR_RUN_END_EVENT,
  ATTR_RUN_FAILED_STEP,
  ATTR_RUN_ID,
  ATTR_RUN_RESUMED,
  ATTR_RUN_STATUS,
  ATTR_STEP_ATTEMPT,
  ATTR_STEP_INPUT_COUNT,
  ATTR_STEP_INPUT_EVENT,
  ATTR_STEP_INVOCATION,
  ATTR_STEP_NAME,
  ATTR_STEP_OUTCOME,
  ATTR_STEP_OUTPUT_COUNT,
  ATTR_STEP_OUTPUT_EVENT,
  ATTR_STEP_OUTPUT_EVENTS,
  ATTR_STEP_RERUN,
  ATTR_STEP_WORKER_ID,
  ATTR_TIMEOUT_ACTIVE_STEPS,
  ATTR_TIMEOUT_SECONDS,
  ATTR_WAIT_EVENT,
  ATTR_WAIT_ID,
  ATTR_WAIT_STEP,
  ATTR_WAIT_TIMED_OUT,
  ATTR_WAIT_TIMEOUT_MS,
  ATTR_WORKFLOW_NAME,
  EVENT_CANCEL,
  EVENT_INPUT_REQUIRED,
  EVENT_INTERRUPTED,
  EVENT_RETRY,
  EVENT_TIMEOUT,
  EVENT_WAIT_ENDED,
  EVENT_WAIT_STARTED,
  SPAN_RUN,
  SPAN_STEP,
} from "./attributes.js";
export type { TracingOptions } from "./observer.js";
// The observer to pass in a workflow's or a runtime's `observers`.
export { createTracingObserver } from "./observer.js";
export { continueTrace } from "./server.js";
// This package's version, as its tracer reports it.
export { VERSION } from "./version.js";
