/**
 * What every test here traces with: the real SDK (`BasicTracerProvider`, an in-memory exporter
 * behind a simple span processor), Node's async-local-storage context manager, and a span tree
 * printed as indented text for assertions.
 */
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { RunObserver } from "@stepwise/core";
import {
  ATTR_RUN_STATUS,
  ATTR_STEP_INVOCATION,
  ATTR_STEP_OUTCOME,
  createTracingObserver,
} from "@stepwise/otel";

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

export interface Tracing {
  readonly provider: BasicTracerProvider;
  readonly tracer: ReturnType<BasicTracerProvider["getTracer"]>;
  readonly observer: RunObserver;
  /** The spans that have ended, in the order they ended. */
  spans(): ReadableSpan[];
  /** The ended spans named `name`. */
  named(name: string): ReadableSpan[];
  /** The one ended span named `name`. */
  one(name: string): ReadableSpan;
}

/** A tracer provider that keeps every ended span, and a tracing observer on it. */
export function tracing(): Tracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer("test");
  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((span) => span.name === name);
  return {
    provider,
    tracer,
    observer: createTracingObserver({ tracer }),
    spans,
    named,
    one: (name) => {
      const found = named(name);
      if (found.length !== 1)
        throw new Error(
          `expected one span named ${name}, got ${found.length}: ${spans()
            .map((s) => s.name)
            .join(", ")}`,
        );
      return found[0] as ReadableSpan;
    },
  };
}

/** Whether `child`'s parent is `parent`. */
export function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.parentSpanContext?.spanId === parent.spanContext().spanId &&
    child.spanContext().traceId === parent.spanContext().traceId
  );
}

/**
 * The ended spans as an indented tree, one span a line: its name, then the run's status or the
 * step's outcome in brackets. Siblings are in invocation order (steps), else in start order.
 */
export function spanTree(spans: readonly ReadableSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string, ReadableSpan[]>();
  const roots: ReadableSpan[] = [];
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    if (parent && ids.has(parent)) {
      const list = children.get(parent) ?? [];
      list.push(span);
      children.set(parent, list);
    } else roots.push(span);
  }
  const lines: string[] = [];
  const visit = (span: ReadableSpan, depth: number) => {
    const state = span.attributes[ATTR_RUN_STATUS] ?? span.attributes[ATTR_STEP_OUTCOME];
    lines.push(`${"  ".repeat(depth)}${span.name}${state === undefined ? "" : ` [${state}]`}`);
    for (const child of sorted(children.get(span.spanContext().spanId) ?? []))
      visit(child, depth + 1);
  };
  for (const root of sorted(roots)) visit(root, 0);
  return lines.join("\n");
}

function sorted(spans: readonly ReadableSpan[]): ReadableSpan[] {
  const order = (span: ReadableSpan) => span.attributes[ATTR_STEP_INVOCATION] as number | undefined;
  const start = (span: ReadableSpan) => span.startTime[0] * 1e9 + span.startTime[1];
  return [...spans].sort((a, b) => {
    const oa = order(a);
    const ob = order(b);
    if (oa !== undefined && ob !== undefined) return oa - ob;
    return start(a) - start(b);
  });
}
