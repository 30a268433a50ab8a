/**
 * The error of a journal that cannot be written or read back. Kept beside `errors.ts` until it
 * moves there; every other error class is in that file.
 */
import { StepwiseError } from "./errors.js";

/** What is wrong with a journal, as {@link JournalError.code} reports it. */
export type JournalErrorCode =
  /** An entry is missing a field or has one of the wrong type or range. */
  | "malformed"
  /** An entry holds an event whose `eventType` the workflow has no class for. */
  | "unknownEventType"
  /** An entry holds an event whose fields fail its class's schema. */
  | "invalidEvent"
  /** Writing: a tick holds a value a journal cannot carry (a function, a class instance, ...). */
  | "unserializable"
  /** An entry names a step the workflow does not have. */
  | "unknownStep"
  /** The run was journaled by a version of the workflow with other steps. */
  | "stepsDiffer"
  /** Written in a format version this version of stepwise does not read. */
  | "unsupportedVersion"
  /** The file is not a stepwise journal. */
  | "notAJournal"
  /** The file or a run's journal is damaged or truncated. */
  | "corrupt"
  /** Another process (or another runtime in this one) holds the journal for writing. */
  | "locked"
  /** Well-formed, but replaying it does not hold together. */
  | "inconsistent";

/** Where a {@link JournalError} found its problem, and what caused it. */
export interface JournalErrorDetails {
  /** The run concerned. */
  readonly runId?: string;
  /** The index of the journal entry concerned within its run (0 = the first tick). */
  readonly entry?: number;
  /** The field: a path in the entry's JSON (`outcome.event.value.data.n`). */
  readonly path?: string;
  /** The `eventType` of the event concerned. */
  readonly eventType?: string;
  /** The step concerned. */
  readonly step?: string;
  readonly cause?: unknown;
}

/**
 * A journal could not be written or read back: `code` says what kind of problem, `runId`,
 * `entry`, `path`, `eventType` and `step` say where. Nothing of a run whose journal fails to
 * read is rebuilt.
 */
export class JournalError extends StepwiseError {
  override readonly name = "JournalError";
  declare readonly code: JournalErrorCode;
  readonly runId: string | null;
  readonly entry: number | null;
  readonly path: string | null;
  readonly eventType: string | null;
  readonly step: string | null;

  constructor(code: JournalErrorCode, message: string, details: JournalErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.runId = details.runId ?? null;
    this.entry = details.entry ?? null;
    this.path = details.path ?? null;
    this.eventType = details.eventType ?? null;
    this.step = details.step ?? null;
  }
}
