/**
 * Every error class that stepwise throws. All extend {@link StepwiseError}, so
 * `err instanceof StepwiseError` tells an engine error from a step's own error (which
 * stepwise re-throws unchanged).
 */
import { safeStringField, safeText } from "./internal/describe.js";

/** Base class of every error stepwise throws itself. */
export class StepwiseError extends Error {
  override readonly name: string = "StepwiseError";
}

/** One problem found by {@link WorkflowValidationError}. */
export interface ValidationProblem {
  /** A stable code for the kind of problem, e.g. `"unreachable"`. */
  readonly code: ValidationCode;
  /** What is wrong and what to change. */
  readonly message: string;
  /** The steps the problem concerns, if any. */
  readonly steps?: readonly string[];
  /** The event types the problem concerns, if any. */
  readonly events?: readonly string[];
}

/** The kinds of problem that workflow validation reports. */
export type ValidationCode =
  | "noSteps"
  | "noStartStep"
  | "multipleStartEvents"
  | "noStopStep"
  | "multipleStopEvents"
  | "acceptsStopEvent"
  | "consumedNeverProduced"
  | "producedNeverConsumed"
  | "duplicateEventType"
  | "duplicateStep"
  | "invalidStepOptions"
  | "invalidOptions"
  | "invalidCatchError"
  | "unknownGraphCheck"
  | "unreachable"
  | "unboundCollect"
  | "deadEnd"
  | "terminalEvent";

function formatProblems(workflowName: string, problems: readonly ValidationProblem[]): string {
  const lines = problems.map((p) => `  - [${p.code}] ${p.message}`);
  const noun = problems.length === 1 ? "problem" : "problems";
  return `Workflow \`${workflowName}\` is invalid (${problems.length} ${noun}):\n${lines.join("\n")}`;
}

/**
 * The workflow's steps or graph are wrong: thrown by the constructor, `validate()` and `run()`.
 * `problems` lists every problem found, each with a code and the steps or events it concerns.
 */
export class WorkflowValidationError extends StepwiseError {
  override readonly name = "WorkflowValidationError";
  constructor(
    readonly workflowName: string,
    readonly problems: readonly ValidationProblem[],
  ) {
    super(formatProblems(workflowName, problems));
  }
}

/** One failed field check of an event, as zod reports it. */
export interface EventFieldIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
}

/** An event was constructed with fields that fail its schema, or with a reserved field name. */
export class EventValidationError extends StepwiseError {
  override readonly name = "EventValidationError";
  constructor(
    readonly eventType: string,
    readonly issues: readonly EventFieldIssue[],
    message?: string,
  ) {
    super(message ?? EventValidationError.describe(eventType, issues));
  }

  static describe(eventType: string, issues: readonly EventFieldIssue[]): string {
    const lines = issues.map((issue) => {
      const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "(fields)";
      return `  - \`${field}\`: ${issue.message}`;
    });
    return `Invalid fields for event \`${eventType}\`:\n${lines.join("\n")}`;
  }
}

/** The run took longer than the workflow's `timeout`, or a `waitForEvent` timed out. */
export class WorkflowTimeoutError extends StepwiseError {
  override readonly name = "WorkflowTimeoutError";
  constructor(
    message: string,
    readonly timeout: number | null,
    readonly activeSteps: readonly string[],
  ) {
    super(message);
  }
}

/** The run was cancelled with `handler.cancel()` or through its `signal`. */
export class WorkflowCancelledError extends StepwiseError {
  override readonly name = "WorkflowCancelledError";
  constructor(message = "The workflow run was cancelled.") {
    super(message);
  }
}

/** Misuse at run time: a step returned a non-event, an unknown step was targeted, ... */
export class WorkflowRuntimeError extends StepwiseError {
  override readonly name: string = "WorkflowRuntimeError";
}

/** Why a runtime refused to start a run. */
export type RunAdmissionCode = "duplicateRunId";

/**
 * A runtime refused to start a run: a run with the same id is in progress there. A server maps
 * `code` to an HTTP status (409).
 */
export class RunAdmissionError extends WorkflowRuntimeError {
  override readonly name = "RunAdmissionError";
  constructor(
    readonly code: RunAdmissionCode,
    readonly runId: string,
    readonly runtime: string,
  ) {
    super(
      `Workflow run with runId \`${runId}\` already exists on the ${runtime} runtime. Use another runId, or wait until that run has ended.`,
    );
  }
}

/** What is wrong with a snapshot, as {@link SnapshotError.code} reports it. */
export type SnapshotErrorCode =
  /** The text given to `Context.fromJSON` is not JSON. */
  | "notJson"
  /** JSON, but not something `ctx.toJSON()` wrote (no `format: "stepwise.context"`). */
  | "notASnapshot"
  /** Written in a format version this version of stepwise does not read. */
  | "unsupportedVersion"
  /** A field is missing or has the wrong type or range. */
  | "malformed"
  /** Written by another workflow (another name). */
  | "otherWorkflow"
  /** Written by a version of the workflow with other steps. */
  | "stepsDiffer"
  /** Holds an event whose `eventType` the workflow has no class for. */
  | "unknownEventType"
  /** Holds an event whose fields fail its class's schema. */
  | "invalidEvent"
  /** A store value the serializer or the workflow's state schema refuses. */
  | "invalidStore"
  /** `toJSON()`: the run or store holds a value a snapshot cannot carry faithfully. */
  | "unserializable"
  /** Well-formed, but its parts disagree (a timer for a missing waiter, an event twice, ...). */
  | "inconsistent";

/** Where a {@link SnapshotError} found its problem, and what caused it. */
export interface SnapshotErrorDetails {
  /** The field: a path in the snapshot (`run.steps.work.queue[0].event.id`), or in an event's fields. */
  readonly path?: string;
  /** The `eventType` of the event concerned. */
  readonly eventType?: string;
  /** The store key concerned. */
  readonly key?: string;
  readonly cause?: unknown;
}

/**
 * A snapshot could not be written (`toJSON()`) or read (`Context.fromJSON`): `code` says what kind
 * of problem, `path`, `eventType` and `key` say where.
 */
export class SnapshotError extends StepwiseError {
  override readonly name = "SnapshotError";
  readonly code: SnapshotErrorCode;
  /** The field concerned, or null when the problem is the snapshot as a whole. */
  readonly path: string | null;
  readonly eventType: string | null;
  readonly key: string | null;

  constructor(code: SnapshotErrorCode, message: string, details: SnapshotErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.path = details.path ?? null;
    this.eventType = details.eventType ?? null;
    this.key = details.key ?? null;
  }
}

/** Turns anything a step threw into an `Error`, once, at the boundary. Never throws. */
export function toError(thrown: unknown): Error {
  try {
    if (thrown instanceof Error) return thrown;
  } catch {
    // A proxy whose prototype trap throws: treat it as the non-error value it is.
  }
  return new Error(`Non-error value thrown: ${safeText(thrown)}`, { cause: thrown });
}

/** An error's name and message as strings, even when its own getters throw or lie. */
export function errorText(error: Error): { name: string; message: string } {
  const name = safeStringField(error, "name") ?? "Error";
  let message = safeStringField(error, "message");
  if (message === null) {
    try {
      message = safeText((error as { message?: unknown }).message);
    } catch {
      message = "an unprintable message";
    }
  }
  return { name, message };
}
