/**
 * Continuing a caller's trace in `@stepwise/server`: its `runContext` option runs each run's
 * start inside the context this extracts from the request's headers.
 */
import { context, propagation, type TextMapGetter } from "@opentelemetry/api";

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => {
    const keys: string[] = [];
    headers.forEach((_value, key) => {
      keys.push(key);
    });
    return keys;
  },
  get: (headers, key) => headers.get(key) ?? undefined,
};

/**
 * Runs `start` in the trace context a request carries (its `traceparent` and `tracestate`
 * headers, read by the global propagator), so that a run started there, and so its run span,
 * continues the caller's trace. Give it to `@stepwise/server` as `runContext`. A request without
 * those headers starts the run in the context active where the request is handled.
 *
 * The Node SDK registers the W3C trace-context propagator; with `BasicTracerProvider` alone,
 * register one (`propagation.setGlobalPropagator(new W3CTraceContextPropagator())`, from
 * `@opentelemetry/core`), and a context manager, since the run starts after awaits.
 *
 * @example
 * import { createServer } from "@stepwise/server";
 * import { continueTrace, createTracingObserver } from "@stepwise/otel";
 *
 * const app = createServer({
 *   workflows: { rag: new RagFlow({ observers: [createTracingObserver()] }) },
 *   runContext: continueTrace,
 * });
 */
export function continueTrace<T>(request: Request, start: () => T): T {
  const extracted = propagation.extract(context.active(), request.headers, headerGetter);
  return context.with(extracted, start);
}
