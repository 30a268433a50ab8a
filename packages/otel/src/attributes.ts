/**
 * The names this package writes: span names, attribute keys and span event names. They are what
 * users query in their tracing backend, so treat them as a wire format and never rename one
 * casually. No OpenTelemetry semantic convention covers workflow engines yet; the keys follow its
 * style (dotted, snake_case) under `workflow.`, and failures also set the convention's
 * `error.type`.
 */

/** The name of a run's span is this, a space, and the workflow's name. */
export const SPAN_RUN = "workflow.run";
/** The name of a step invocation's span is this, a space, and the step's name. */
export const SPAN_STEP = "workflow.step";

/** The workflow's name (run and step spans). */
export const ATTR_WORKFLOW_NAME = "workflow.name";
/** The run's id (run and step spans): the same across a resume, so it finds every part of a run. */
export const ATTR_RUN_ID = "workflow.run.id";
/** On a run span: true when the run resumed from a snapshot or a journal. */
export const ATTR_RUN_RESUMED = "workflow.run.resumed";
/** On a run span, at its end: `completed`, `failed`, `cancelled` or `timedOut`. */
export const ATTR_RUN_STATUS = "workflow.run.status";
/** On a run span, at its end: the event type the run ended with (the stop event, or the engine's). */
export const ATTR_RUN_END_EVENT = "workflow.run.end_event";
/** On a failed run's span: the step whose failure ended it. */
export const ATTR_RUN_FAILED_STEP = "workflow.run.failed_step";

/** The step's name. */
export const ATTR_STEP_NAME = "workflow.step.name";
/** The worker (0 to `numWorkers` - 1) that ran the invocation. */
export const ATTR_STEP_WORKER_ID = "workflow.step.worker_id";
/** Which attempt this is, from 1 (`ctx.retryInfo().retryNumber` + 1). */
export const ATTR_STEP_ATTEMPT = "workflow.step.attempt";
/** The invocation's number within its run. */
export const ATTR_STEP_INVOCATION = "workflow.step.invocation";
/** True when the invocation runs again with the same input: after a wait, or after a resume. */
export const ATTR_STEP_RERUN = "workflow.step.rerun";
/** The type of the event the step runs with (for a `collect` or `join` step, the last of them). */
export const ATTR_STEP_INPUT_EVENT = "workflow.step.input_event";
/** For a `collect` or `join` step: how many events it runs with. */
export const ATTR_STEP_INPUT_COUNT = "workflow.step.input_count";
/**
 * How the invocation ended: `event`, `events` (a fan-out), `none`, `failed`, `retrying` (failed,
 * and retried), `waiting` (parked in `waitForEvent`; the step runs again in a new span) or
 * `interrupted` (the run ended while it ran).
 */
export const ATTR_STEP_OUTCOME = "workflow.step.outcome";
/** The type of the event the step returned. */
export const ATTR_STEP_OUTPUT_EVENT = "workflow.step.output_event";
/** For a fan-out: the distinct types of the events it returned. */
export const ATTR_STEP_OUTPUT_EVENTS = "workflow.step.output_events";
/** For a fan-out: how many events it returned. */
export const ATTR_STEP_OUTPUT_COUNT = "workflow.step.output_count";

/** The semantic conventions' error class: the error's `name`. */
export const ATTR_ERROR_TYPE = "error.type";

/** Span event on a failed attempt's span when it will be retried. */
export const EVENT_RETRY = "workflow.step.retry";
/** Its attributes: the delay before the next attempt (ms), and that attempt's number. */
export const ATTR_RETRY_DELAY_MS = "workflow.retry.delay_ms";
export const ATTR_RETRY_NEXT_ATTEMPT = "workflow.retry.next_attempt";

/** Span event on a step span that parked in `waitForEvent`, and on its run span. */
export const EVENT_WAIT_STARTED = "workflow.wait.started";
/** Span event on a run span when a waiter resolved or timed out. */
export const EVENT_WAIT_ENDED = "workflow.wait.ended";
/** Their attributes. */
export const ATTR_WAIT_STEP = "workflow.wait.step";
export const ATTR_WAIT_ID = "workflow.wait.id";
export const ATTR_WAIT_EVENT = "workflow.wait.event";
export const ATTR_WAIT_TIMEOUT_MS = "workflow.wait.timeout_ms";
export const ATTR_WAIT_TIMED_OUT = "workflow.wait.timed_out";

/** Span event on a run span when the run published an `InputRequiredEvent`. */
export const EVENT_INPUT_REQUIRED = "workflow.input_required";
/** Its attribute: the event's type. */
export const ATTR_EVENT_TYPE = "workflow.event.type";

/** Span event on a run span that timed out. */
export const EVENT_TIMEOUT = "workflow.timeout";
/** Its attributes: the workflow's `timeout` (seconds) and the steps that were running. */
export const ATTR_TIMEOUT_SECONDS = "workflow.timeout.seconds";
export const ATTR_TIMEOUT_ACTIVE_STEPS = "workflow.timeout.active_steps";

/** Span event on a run span that was cancelled. */
export const EVENT_CANCEL = "workflow.cancel";

/** Span event on a step span still open when its run ended; its attribute is the run's status. */
export const EVENT_INTERRUPTED = "workflow.step.interrupted";
