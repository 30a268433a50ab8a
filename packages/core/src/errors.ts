/**
 * Every error class that stepwise throws. All extend {@link StepwiseError}, so
 * `err instanceof StepwiseError` tells an engine error from a step's own error (which
 * stepwise re-throws unchanged).
 */
import {
  runtimeErrorMessage,
  type WorkflowRuntimeErrorCode,
  type WorkflowRuntimeErrorDetails,
} from "./error-messages.js";
import { safeStringField, safeText } from "./internal/describe.js";
import type { JournalErrorCode } from "./journal-error.js";

export type { WorkflowRuntimeErrorCode, WorkflowRuntimeErrorDetails } from "./error-messages.js";

/** Options of a stepwise error beyond its code and fields. */
export interface StepwiseErrorOptions {
  /** The error that led to this one. */
  readonly cause?: unknown;
  /** A message to use instead of the one built from the fields. */
  readonly message?: string;
}

function errorOptions(options: StepwiseErrorOptions | undefined): ErrorOptions | undefined {
  return options?.cause === undefined ? undefined : { cause: options.cause };
}

/** Copies an error's fields onto it, leaving out the ones not given. */
function assignFields(error: object, details: object): void {
  for (const [key, value] of Object.entries(details)) {
    if (value !== undefined) (error as Record<string, unknown>)[key] = value;
  }
}

/**
 * Every code a stepwise error can have: each class narrows `code` to its own union (the code of
 * a {@link WorkflowValidationError} is `"invalidWorkflow"`; its `problems` carry their own).
 */
export type StepwiseErrorCode =
  | WorkflowValidationErrorCode
  | EventValidationErrorCode
  | WorkflowTimeoutErrorCode
  | WorkflowCancelledErrorCode
  | WorkflowRuntimeErrorCode
  | SnapshotErrorCode
  | JournalErrorCode;

/**
 * Base class of every error stepwise throws itself. `code` says what went wrong, in a word a
 * program can match on; the fields of each subclass say where, and the message is built from them.
 */
export class StepwiseError extends Error {
  override readonly name: string = "StepwiseError";
  /** What went wrong: one of the codes of the error's class. */
  readonly code: StepwiseErrorCode;

  constructor(code: StepwiseErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
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

/** The code of a {@link WorkflowValidationError}: its `problems` say what is wrong. */
export type WorkflowValidationErrorCode = "invalidWorkflow";

/**
 * The workflow's steps or graph are wrong: thrown by the constructor, `validate()` and `run()`.
 * `problems` lists every problem found, each with a code and the steps or events it concerns.
 */
export class WorkflowValidationError extends StepwiseError {
  override readonly name = "WorkflowValidationError";
  declare readonly code: WorkflowValidationErrorCode;
  constructor(
    readonly workflowName: string,
    readonly problems: readonly ValidationProblem[],
  ) {
    super("invalidWorkflow", formatProblems(workflowName, problems));
  }
}

/** One failed field check of an event, as zod reports it. */
export interface EventFieldIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
}

/** What is wrong with an event's fields, as {@link EventValidationError.code} reports it. */
export type EventValidationErrorCode =
  /** The fields fail the event's schema (`issues` lists each failure). */
  | "invalidFields"
  /** `define` was given a field whose name the event itself uses (`field`). */
  | "reservedField"
  /** The event was constructed with something that is not an object of fields (`received`). */
  | "notAnObject"
  /** `define` was given zod 3 schemas; stepwise needs zod 4 (`issues` names each field). */
  | "zod3";

/** The fields of an {@link EventValidationError}. */
export interface EventValidationErrorDetails {
  /** The event class concerned (the class `define` was called on, for `reservedField` and `zod3`). */
  readonly eventType: string;
  /** One issue per failed field. */
  readonly issues: readonly EventFieldIssue[];
  /** `reservedField`: the field name. */
  readonly field?: string;
  /** `notAnObject`: what the event was constructed with. */
  readonly received?: string;
}

/** The advice of every zod 3 error: what to install. */
export const INSTALL_ZOD_4 =
  'stepwise needs zod 4: run `npm install zod@^4` and import `z` from "zod" in your own code too';

function eventMessage(code: EventValidationErrorCode, d: EventValidationErrorDetails): string {
  switch (code) {
    case "reservedField":
      return `Event \`${d.eventType}\` cannot have a field named \`${d.field}\`: it would shadow the event's own \`${d.field}\`. Rename the field.`;
    case "notAnObject":
      return `Event \`${d.eventType}\` must be constructed with an object of fields; got ${d.received}.`;
    case "zod3": {
      const fields = d.issues.map((issue) => `\`${issue.path.map(String).join(".")}\``);
      const what =
        fields.length === 1
          ? `Field ${fields[0]} is a zod 3 schema`
          : `Fields ${fields.join(", ")} are zod 3 schemas`;
      return `${what} in \`${d.eventType}.define(...)\`; ${INSTALL_ZOD_4}.`;
    }
    case "invalidFields":
      return EventValidationError.describe(d.eventType, d.issues);
  }
}

/** An event was constructed with fields that fail its schema, or with a reserved field name. */
export class EventValidationError extends StepwiseError {
  override readonly name = "EventValidationError";
  declare readonly code: EventValidationErrorCode;
  readonly eventType: string;
  readonly issues: readonly EventFieldIssue[];
  /** `reservedField`: the field name. */
  declare readonly field?: string;
  /** `notAnObject`: what the event was constructed with. */
  declare readonly received?: string;

  constructor(
    code: EventValidationErrorCode,
    details: EventValidationErrorDetails,
    options?: StepwiseErrorOptions,
  ) {
    super(code, options?.message ?? eventMessage(code, details), errorOptions(options));
    this.eventType = details.eventType;
    this.issues = details.issues;
    assignFields(this, { field: details.field, received: details.received });
  }

  /** The message of `invalidFields`: one line per issue. */
  static describe(eventType: string, issues: readonly EventFieldIssue[]): string {
    const lines = issues.map((issue) => {
      const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "(fields)";
      return `  - \`${field}\`: ${issue.message}`;
    });
    return `Invalid fields for event \`${eventType}\`:\n${lines.join("\n")}`;
  }
}

/** What timed out, as {@link WorkflowTimeoutError.code} reports it. */
export type WorkflowTimeoutErrorCode =
  /** The run took longer than the workflow's `timeout`. */
  | "runTimeout"
  /** `ctx.waitForEvent()` waited longer than its `timeout` (`eventType`, `step`). */
  | "waitTimeout";

/** The fields of a {@link WorkflowTimeoutError}. */
export interface WorkflowTimeoutErrorDetails {
  /** Seconds: the workflow's `timeout`, or the wait's. */
  readonly timeout: number | null;
  /** The steps running when time ran out. */
  readonly activeSteps: readonly string[];
  /** `waitTimeout`: the event waited for. */
  readonly eventType?: string;
  /** `waitTimeout`: the step that waited. */
  readonly step?: string;
  /** `runTimeout` with no step active: what the run was waiting for, in words. */
  readonly waitingFor?: string;
}

function timeoutMessage(code: WorkflowTimeoutErrorCode, d: WorkflowTimeoutErrorDetails): string {
  if (code === "waitTimeout") {
    return `Timed out waiting for ${d.eventType}${d.step === undefined ? "" : ` in step \`${d.step}\``} after ${d.timeout} seconds. Send it sooner, or raise the \`timeout\` (seconds) of \`ctx.waitForEvent()\`.`;
  }
  const advice =
    d.waitingFor !== undefined
      ? `No steps active: ${d.waitingFor}, or raise the workflow's \`timeout\` (seconds) if that takes longer.`
      : `Currently active steps: ${d.activeSteps.length > 0 ? d.activeSteps.join(", ") : "none (work is queued or waiting to retry)"}. Raise the workflow's \`timeout\` (seconds), or pass \`timeout: null\` for none.`;
  return `Operation timed out after ${d.timeout} seconds. ${advice}`;
}

/** The run took longer than the workflow's `timeout`, or a `waitForEvent` timed out. */
export class WorkflowTimeoutError extends StepwiseError {
  override readonly name = "WorkflowTimeoutError";
  declare readonly code: WorkflowTimeoutErrorCode;
  /** Seconds: the workflow's `timeout`, or the wait's. */
  readonly timeout: number | null;
  /** The steps running when time ran out. */
  readonly activeSteps: readonly string[];
  /** `waitTimeout`: the event waited for. */
  declare readonly eventType?: string;
  /** `waitTimeout`: the step that waited. */
  declare readonly step?: string;
  /** `runTimeout` with no step active: what the run was waiting for, in words. */
  declare readonly waitingFor?: string;

  constructor(
    code: WorkflowTimeoutErrorCode,
    details: WorkflowTimeoutErrorDetails,
    options?: StepwiseErrorOptions,
  ) {
    super(code, options?.message ?? timeoutMessage(code, details), errorOptions(options));
    this.timeout = details.timeout;
    this.activeSteps = details.activeSteps;
    assignFields(this, {
      eventType: details.eventType,
      step: details.step,
      waitingFor: details.waitingFor,
    });
  }
}

/** Why a run's work was called off, as {@link WorkflowCancelledError.code} reports it. */
export type WorkflowCancelledErrorCode =
  /** `handler.cancel()` or the run's `signal`. */
  | "cancelled"
  /** The reason of `ctx.signal` once the run has ended for another reason (`status`). */
  | "runEnded";

/** The run was cancelled with `handler.cancel()` or through its `signal`. */
export class WorkflowCancelledError extends StepwiseError {
  override readonly name = "WorkflowCancelledError";
  declare readonly code: WorkflowCancelledErrorCode;
  /** `runEnded`: how the run ended (`"completed"`, `"failed"`, ...). */
  declare readonly status?: string;

  constructor(
    code: WorkflowCancelledErrorCode = "cancelled",
    details: { readonly status?: string } = {},
    options?: StepwiseErrorOptions,
  ) {
    const message =
      code === "cancelled"
        ? "The workflow run was cancelled."
        : details.status === undefined
          ? "The workflow run has ended."
          : `The workflow run ended (${details.status}).`;
    super(code, options?.message ?? message, errorOptions(options));
    assignFields(this, details);
  }
}

/** The arguments of `new WorkflowRuntimeError(code, details, options?)`, checked by code. */
export type WorkflowRuntimeErrorArgs = {
  [C in WorkflowRuntimeErrorCode]: [
    code: C,
    details: WorkflowRuntimeErrorDetails[C],
    options?: StepwiseErrorOptions,
  ];
}[WorkflowRuntimeErrorCode];

/**
 * Misuse of the engine: a bad argument or option, a call at the wrong time, a step that returned
 * a non-event or sent to an unknown step, a retry policy that misbehaved. `code` says which;
 * the fields of that code ({@link WorkflowRuntimeErrorDetails}) are set on the error.
 */
export class WorkflowRuntimeError extends StepwiseError {
  override readonly name: string = "WorkflowRuntimeError";
  declare readonly code: WorkflowRuntimeErrorCode;
  /** The run concerned. */
  declare readonly runId?: string;
  /** The workflow concerned (its name). */
  declare readonly workflow?: string;
  /** The step concerned. */
  declare readonly step?: string;
  /** The event type concerned. */
  declare readonly eventType?: string;
  /** The function, method or property that was misused, as users write it (`run()`, `ctx.signal`). */
  declare readonly method?: string;
  /** The option concerned. */
  declare readonly option?: string;
  /** The position (from 1) of the argument concerned. */
  declare readonly argument?: number;
  /** What was expected, in words. */
  declare readonly expected?: string;
  /** What was given instead, in words. */
  declare readonly received?: string;
  /** The valid options. */
  declare readonly valid?: readonly string[];
  /** The steps there are (`unknownStep`). */
  declare readonly steps?: readonly string[];
  /** The event types the step accepts (`stepDoesNotAccept`). */
  declare readonly accepts?: readonly string[];
  /** The index of the item concerned (`badFanOutItem`). */
  declare readonly index?: number;
  /** The store path concerned, and what is wrong with it. */
  declare readonly path?: string;
  declare readonly problem?: string;
  /** The segment of a store path concerned. */
  declare readonly segment?: string;
  /** The limit exceeded. */
  declare readonly limit?: number;
  /** The fields concerned (`stateNeedsDefaults`). */
  declare readonly fields?: readonly string[];
  /** Every problem found (`storeStateInvalid`, `invalidRuntimeOptions`). */
  declare readonly problems?: readonly string[];
  /** The message of the step's own error, where a retry policy failed it. */
  declare readonly stepError?: string;
  /** The runtime concerned (its name). */
  declare readonly runtime?: string;
  /** What to change, where the expected value does not say it. */
  declare readonly hint?: string;
  /** The decorator misapplied (`notAMethod`) and the class member it was applied to. */
  declare readonly decorator?: string;
  declare readonly member?: string;
  /** The workflow a context was made for (`contextMismatch`). */
  declare readonly contextWorkflow?: string;
  /** How a parked step went on: `"returned"` or `"threw"` (`raceAfterWait`). */
  declare readonly how?: string;
  /** The message of the error that caused this one (`retryPolicyFailed`, `engineFailed`). */
  declare readonly reason?: string;
  /** The retry policy concerned, described (`invalidWait`). */
  declare readonly policy?: string;
  /** The sequence number asked for and the first one kept (`eventsNotKept`). */
  declare readonly after?: number;
  declare readonly first?: number;

  constructor(...args: WorkflowRuntimeErrorArgs) {
    const [code, details, options] = args;
    super(
      code,
      options?.message ?? runtimeErrorMessage(code, details as never),
      errorOptions(options),
    );
    assignFields(this, details);
  }
}

/** Why a runtime refused to start a run. */
export type RunAdmissionCode = "duplicateRunId";

/**
 * A runtime refused to start a run: a run with the same id is in progress there. A server maps
 * `code` to an HTTP status (409).
 */
export class RunAdmissionError extends WorkflowRuntimeError {
  override readonly name = "RunAdmissionError";
  declare readonly code: RunAdmissionCode;
  declare readonly runId: string;
  declare readonly runtime: string;
  constructor(code: RunAdmissionCode, runId: string, runtime: string) {
    super(code, { runId, runtime });
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
  declare readonly code: SnapshotErrorCode;
  /** The field concerned, or null when the problem is the snapshot as a whole. */
  readonly path: string | null;
  readonly eventType: string | null;
  readonly key: string | null;

  constructor(code: SnapshotErrorCode, message: string, details: SnapshotErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
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
