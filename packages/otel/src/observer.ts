/**
 * The tracing observer: turns what a run's observer calls say into OpenTelemetry spans. One span
 * per run, one child span per step invocation, run with that span active so that the spans a
 * step's own code starts nest under it.
 */
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import {
  type EventClass,
  type RunEnd,
  type RunObserver,
  WorkflowFailedEvent,
  WorkflowTimedOutEvent,
} from "@stepwise/core";
import type { Invocation, RunInfo, RunView, StepOutcome, WaiterSpec } from "@stepwise/core/runtime";
import {
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
import { VERSION } from "./version.js";

/** Options of {@link createTracingObserver}. */
export interface TracingOptions {
  /**
   * The tracer that starts the spans.
   * @default `tracerProvider.getTracer("@stepwise/otel")`
   */
  tracer?: Tracer;
  /**
   * Where the default tracer comes from; ignored when `tracer` is given.
   * @default the global provider (`trace.getTracerProvider()`), as registered by the SDK
   */
  tracerProvider?: TracerProvider;
}

/** How many ended runs' span contexts are kept, so that a resumed run in this process links to them. */
const REMEMBERED_RUNS = 1000;

/** A step span's options: the same object for every step. */
const STEP_SPAN_OPTIONS = { kind: SpanKind.INTERNAL } as const;

/** A run's span and the step spans it has open. */
class RunSpans {
  readonly steps = new Map<Invocation, StepSpan>();
  /** The step span names made so far, by step: built once per step and run, not per invocation. */
  readonly #stepSpanNames = new Map<string, string>();

  constructor(
    readonly span: Span,
    /** The caller's context with the run span in it: the parent of every step span. */
    readonly context: Context,
    readonly workflowName: string,
  ) {}

  stepSpanName(step: string): string {
    let name = this.#stepSpanNames.get(step);
    if (name === undefined) {
      name = `${SPAN_STEP} ${step}`;
      this.#stepSpanNames.set(step, name);
    }
    return name;
  }
}

interface StepSpan {
  readonly span: Span;
  /** The run's context with this span in it: active while the step's code runs. */
  readonly context: Context;
}

/**
 * An observer that records every run as an OpenTelemetry trace. Pass it in a workflow's or a
 * runtime's `observers`: `new MyFlow({ observers: [createTracingObserver()] })` traces the runs of
 * that workflow, `new InMemoryRuntime({ observers: [createTracingObserver()] })` every run of that
 * runtime. Give each workflow or runtime one tracing observer, not both: each would make its own
 * spans.
 *
 * Each run is a span `workflow.run <workflow>`, a child of the span active where `run()` was
 * called. Each step invocation is a child span `workflow.step <step>` (attempts, re-runs after a
 * wait and resumed work are spans of their own), and the step's code runs with that span active:
 * what it starts (an AI SDK call with `experimental_telemetry`, an instrumented HTTP client)
 * nests under it, across awaits, with concurrent steps apart. That needs a context manager,
 * which the Node SDK registers (`AsyncLocalStorageContextManager`). The run span ends on every
 * terminal path: result, failure, timeout, cancel.
 *
 * @example
 * import { createTracingObserver } from "@stepwise/otel";
 *
 * const wf = new RagFlow({ observers: [createTracingObserver()] });
 * await wf.run({ query: "What is AI?" }); // one trace: the run, its steps, their LLM calls
 */
export function createTracingObserver(options: TracingOptions = {}): RunObserver {
  const tracer =
    options.tracer ??
    (options.tracerProvider ?? trace.getTracerProvider()).getTracer("@stepwise/otel", VERSION);
  return new TracingObserver(tracer);
}

/** The run annotation that keeps the run span's context, as a W3C `traceparent`. */
export const TRACE_NOTE = "otel.traceparent";

function formatTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

function parseTraceparent(value: string | undefined): SpanContext | undefined {
  const match = value ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value) : null;
  if (!match) return undefined;
  const span: SpanContext = {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16),
    isRemote: true,
  };
  return isSpanContextValid(span) ? span : undefined;
}

class TracingObserver implements RunObserver {
  readonly #tracer: Tracer;
  readonly #runs = new Map<string, RunSpans>();
  /** Contexts captured where `run()` was called, until the run starts. */
  readonly #created = new Map<string, Context>();
  /** The span contexts of runs that ended, by run id, oldest first, for resumed runs to link to. */
  readonly #ended = new Map<string, SpanContext>();

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  /** Called inside `run()`: the context active there is the run span's parent. */
  runCreated(run: RunInfo): void {
    this.#created.set(run.runId, context.active());
  }

  runStarted(run: RunView, resumed: boolean): void {
    const parent = this.#created.get(run.runId) ?? context.active();
    this.#created.delete(run.runId);
    const attributes: Attributes = {
      [ATTR_WORKFLOW_NAME]: run.workflowName,
      [ATTR_RUN_ID]: run.runId,
      [ATTR_RUN_RESUMED]: resumed,
    };
    let links: Link[] | undefined;
    // The run's earlier span: remembered here, or (in another process) kept with the run.
    const earlier = resumed
      ? (this.#ended.get(run.runId) ?? parseTraceparent(run.annotations[TRACE_NOTE]))
      : undefined;
    if (earlier) links = [{ context: earlier, attributes: { [ATTR_RUN_RESUMED]: true } }];
    const span = this.#tracer.startSpan(
      `${SPAN_RUN} ${run.workflowName}`,
      { kind: SpanKind.INTERNAL, attributes, links },
      parent,
    );
    const own = span.spanContext();
    if (isSpanContextValid(own)) run.annotate(TRACE_NOTE, formatTraceparent(own));
    this.#runs.set(run.runId, new RunSpans(span, trace.setSpan(parent, span), run.workflowName));
  }

  stepStarted(invocation: Invocation): void {
    const run = this.#runs.get(invocation.runId);
    if (!run) return;
    const item = invocation.item;
    // Attributes are set on the started span, not passed to `startSpan`: the SDK copies and
    // checks an attributes object twice there (for the sampler) and once more on the span,
    // about half a microsecond per step. A step span's sampling follows its run span's.
    const span = this.#tracer.startSpan(
      run.stepSpanName(invocation.stepName),
      STEP_SPAN_OPTIONS,
      run.context,
    );
    span.setAttribute(ATTR_WORKFLOW_NAME, run.workflowName);
    span.setAttribute(ATTR_RUN_ID, invocation.runId);
    span.setAttribute(ATTR_STEP_NAME, invocation.stepName);
    span.setAttribute(ATTR_STEP_WORKER_ID, invocation.workerId);
    span.setAttribute(ATTR_STEP_ATTEMPT, item.attempts + 1);
    span.setAttribute(ATTR_STEP_INVOCATION, invocation.seq);
    span.setAttribute(ATTR_STEP_INPUT_EVENT, item.event.type);
    if (item.rerun) span.setAttribute(ATTR_STEP_RERUN, true);
    if (item.batch) span.setAttribute(ATTR_STEP_INPUT_COUNT, item.batch.length);
    run.steps.set(invocation, { span, context: trace.setSpan(run.context, span) });
  }

  wrapStep(invocation: Invocation, call: () => unknown): unknown {
    const step = this.#runs.get(invocation.runId)?.steps.get(invocation);
    return step ? context.with(step.context, call) : call();
  }

  stepEnded(invocation: Invocation, outcome: StepOutcome): void {
    const run = this.#runs.get(invocation.runId);
    const step = run?.steps.get(invocation);
    if (!run || !step) return;
    run.steps.delete(invocation);
    const span = step.span;
    switch (outcome.kind) {
      case "event":
        span.setAttribute(ATTR_STEP_OUTCOME, "event");
        span.setAttribute(ATTR_STEP_OUTPUT_EVENT, outcome.event.type);
        // A returned InputRequiredEvent is published: the run now waits for someone outside.
        if (outcome.event.role === "inputRequired")
          run.span.addEvent(EVENT_INPUT_REQUIRED, { [ATTR_EVENT_TYPE]: outcome.event.type });
        break;
      case "events":
        span.setAttributes({
          [ATTR_STEP_OUTCOME]: "events",
          [ATTR_STEP_OUTPUT_EVENTS]: [...new Set(outcome.events.map((record) => record.type))],
          [ATTR_STEP_OUTPUT_COUNT]: outcome.events.length,
        });
        break;
      case "none":
        span.setAttribute(ATTR_STEP_OUTCOME, "none");
        break;
      case "failed": {
        const error = outcome.error;
        const retried = outcome.retryDelayMs !== null;
        span.setAttribute(ATTR_STEP_OUTCOME, retried ? "retrying" : "failed");
        span.setAttribute(ATTR_ERROR_TYPE, error.name);
        span.recordException(
          error.value instanceof Error ? error.value : { name: error.name, message: error.message },
        );
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
        if (retried) {
          span.addEvent(EVENT_RETRY, {
            [ATTR_RETRY_DELAY_MS]: outcome.retryDelayMs,
            [ATTR_RETRY_NEXT_ATTEMPT]: invocation.item.attempts + 2,
          });
        }
        break;
      }
    }
    span.end();
  }

  waitStarted(invocation: Invocation, waiter: WaiterSpec): void {
    const run = this.#runs.get(invocation.runId);
    if (!run) return;
    const attributes: Attributes = {
      [ATTR_WAIT_STEP]: invocation.stepName,
      [ATTR_WAIT_ID]: waiter.id,
      [ATTR_WAIT_EVENT]: waiter.eventType,
    };
    if (waiter.timeoutMs !== null) attributes[ATTR_WAIT_TIMEOUT_MS] = waiter.timeoutMs;
    run.span.addEvent(EVENT_WAIT_STARTED, attributes);
    const step = run.steps.get(invocation);
    if (!step) return;
    // The invocation is over: the step runs again from the top, in a new span, once the
    // waiter resolves or times out.
    run.steps.delete(invocation);
    step.span.addEvent(EVENT_WAIT_STARTED, attributes);
    step.span.setAttribute(ATTR_STEP_OUTCOME, "waiting");
    step.span.end();
  }

  waitEnded(run: RunInfo, step: string, waiterId: string, timedOut: boolean): void {
    this.#runs.get(run.runId)?.span.addEvent(EVENT_WAIT_ENDED, {
      [ATTR_WAIT_STEP]: step,
      [ATTR_WAIT_ID]: waiterId,
      [ATTR_WAIT_TIMED_OUT]: timedOut,
    });
  }

  runEnded(run: RunInfo, end: RunEnd): void {
    const spans = this.#runs.get(run.runId);
    if (!spans) return;
    this.#runs.delete(run.runId);
    const span = spans.span;
    const interrupted = end.status !== "completed";
    for (const step of spans.steps.values()) {
      step.span.setAttribute(ATTR_STEP_OUTCOME, "interrupted");
      step.span.addEvent(EVENT_INTERRUPTED, { [ATTR_RUN_STATUS]: end.status });
      if (interrupted)
        step.span.setStatus({ code: SpanStatusCode.ERROR, message: `The run ${runEndText(end)}.` });
      step.span.end();
    }
    span.setAttribute(ATTR_RUN_STATUS, end.status);
    const event = end.event;
    if (event) {
      span.setAttribute(ATTR_RUN_END_EVENT, (event.constructor as EventClass).eventType);
    }
    if (end.status === "failed") {
      const error = end.error;
      if (event instanceof WorkflowFailedEvent)
        span.setAttribute(ATTR_RUN_FAILED_STEP, event.stepName);
      if (error instanceof Error) span.recordException(error);
    } else if (end.status === "timedOut") {
      const timedOut = event instanceof WorkflowTimedOutEvent ? event : null;
      const attributes: Attributes = {
        [ATTR_TIMEOUT_ACTIVE_STEPS]: timedOut ? [...timedOut.activeSteps] : [],
      };
      if (timedOut?.timeout != null) attributes[ATTR_TIMEOUT_SECONDS] = timedOut.timeout;
      span.addEvent(EVENT_TIMEOUT, attributes);
    } else if (end.status === "cancelled") {
      span.addEvent(EVENT_CANCEL);
    }
    if (interrupted) {
      const error = end.error;
      if (error instanceof Error) span.setAttribute(ATTR_ERROR_TYPE, error.name);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    }
    span.end();
    this.#remember(run.runId, span.spanContext());
  }

  #remember(runId: string, spanContext: SpanContext): void {
    this.#ended.delete(runId);
    this.#ended.set(runId, spanContext);
    if (this.#ended.size > REMEMBERED_RUNS) {
      const oldest = this.#ended.keys().next().value as string;
      this.#ended.delete(oldest);
    }
  }
}

function runEndText(end: RunEnd): string {
  switch (end.status) {
    case "completed":
      return "completed";
    case "failed":
      return "failed";
    case "cancelled":
      return "was cancelled";
    case "timedOut":
      return "timed out";
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
