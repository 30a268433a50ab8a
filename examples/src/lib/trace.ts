/**
 * `--trace`: records a run with OpenTelemetry (`@stepwise/otel` and the SDK's in-memory exporter)
 * and prints its spans as an indented tree with durations. The same observer, with the Node SDK
 * and the `OTEL_EXPORTER_OTLP_*` variables, sends the spans to a real collector instead.
 */
import { context, type HrTime, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { RunObserver } from "@stepwise/core";
import { createTracingObserver } from "@stepwise/otel";

/** A tracing setup for one script: the observer to give a workflow, and the tree of what it saw. */
export interface ConsoleTracing {
  /** Pass it in the workflow's `observers`. */
  readonly observer: RunObserver;
  /** The spans recorded so far, as an indented tree with durations. */
  tree(): Promise<string>;
}

/**
 * Registers a tracer provider that keeps spans in memory (globally, so that the AI SDK's
 * `experimental_telemetry` spans land in it too) and the async-local-storage context manager
 * (so that a step's own spans nest under its step span).
 */
export function startConsoleTracing(): ConsoleTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return {
    observer: createTracingObserver({ tracerProvider: provider }),
    async tree() {
      await provider.forceFlush();
      return formatSpanTree(exporter.getFinishedSpans());
    },
  };
}

/**
 * Formats spans as a tree, children under their parent in start order, each line the span's
 * name, its duration, and (for stepwise spans) the outcome or status, e.g.
 *
 *   workflow.run RAGWorkflow  812.4 ms  completed
 *   ├─ workflow.step retrieve  35.2 ms  → RetrieveEvent
 *   └─ workflow.step synthesize  776.9 ms  → StopEvent
 *      └─ ai.streamText  775.0 ms
 */
export function formatSpanTree(spans: readonly ReadableSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string | null, ReadableSpan[]>();
  for (const span of spans) {
    const parentId = span.parentSpanContext?.spanId;
    const key = parentId && ids.has(parentId) ? parentId : null;
    const list = children.get(key) ?? [];
    list.push(span);
    children.set(key, list);
  }
  for (const list of children.values())
    list.sort((a, b) => millis(a.startTime) - millis(b.startTime));
  const lines: string[] = [];
  const walk = (parentId: string | null, prefix: string) => {
    const list = children.get(parentId) ?? [];
    list.forEach((span, i) => {
      const last = i === list.length - 1;
      const branch = parentId === null ? "" : last ? "└─ " : "├─ ";
      lines.push(`${prefix}${branch}${describeSpan(span)}`);
      const childPrefix = parentId === null ? prefix : `${prefix}${last ? "   " : "│  "}`;
      walk(span.spanContext().spanId, childPrefix);
    });
  };
  walk(null, "");
  return lines.join("\n");
}

function describeSpan(span: ReadableSpan): string {
  const parts = [span.name, `${millis(span.duration).toFixed(1)} ms`];
  const attributes = span.attributes;
  const status = attributes["workflow.run.status"];
  const output = attributes["workflow.step.output_event"];
  const outcome = attributes["workflow.step.outcome"];
  if (typeof status === "string") parts.push(status);
  else if (typeof output === "string") parts.push(`→ ${output}`);
  else if (typeof outcome === "string") parts.push(outcome);
  if (span.status.code === SpanStatusCode.ERROR) parts.push(`ERROR ${span.status.message ?? ""}`);
  return parts.join("  ").trimEnd();
}

function millis([seconds, nanos]: HrTime): number {
  return seconds * 1000 + nanos / 1e6;
}
