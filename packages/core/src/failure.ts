/**
 * Failures as data, as Temporal's `ApplicationFailure` is: an error that crosses a journal, a
 * snapshot or the wire becomes a failure record (name, message, stack, cause chain, its own
 * enumerable fields, a `nonRetryable` flag) and comes back as an `Error` with the same name,
 * message, cause and fields. It comes back as an instance of its own class when that class is
 * a built-in error, one of stepwise's, or one the workflow declares (`errors: [MyError]`); of the
 * nearest declared ancestor otherwise. The constructor of a revived class is never called: the
 * error is made by its built-in base with the class's prototype, then given the record's fields.
 *
 * A record is the value codec's error tag (`{ $stepwise: "error", kind, name, message, ... }`)
 * with `classes` and `nonRetryable` added, so each codec reads the other's. Values inside a
 * record (fields, a cause that is not an error) are written by the codec the caller passes, so
 * that the value codec can use this module without an import cycle.
 */
import { z } from "zod";
import { ERROR_CLASSES, errorFromParts, errorParts, LEFT_OUT } from "./error-codec.js";
import * as stepwiseErrors from "./errors.js";
import { SnapshotError } from "./errors.js";
import { describeValue, safeText } from "./internal/describe.js";
import { JournalError } from "./journal-error.js";

/** A class of errors, for {@link createErrorRegistry} and the workflow's `errors` option. */
export type ErrorClass = abstract new (...args: any[]) => Error;

/** Error classes by class name, for reviving failures as instances of their own class. */
export type ErrorRegistry = ReadonlyMap<string, ErrorClass>;

const BUILT_IN_ERRORS = ERROR_CLASSES;

/** The built-in error classes a failure is made from. */
export type BuiltInErrorName = keyof typeof BUILT_IN_ERRORS;

const BUILT_IN_PROTOS = new Set<object>(Object.values(BUILT_IN_ERRORS).map((cls) => cls.prototype));

/** An error as data: what {@link encodeFailure} writes and {@link decodeFailure} reads. */
export interface FailureJson {
  readonly $stepwise: "error";
  /** The nearest built-in class (`Error`, `TypeError`, ...): what the error is made from. */
  readonly kind: string;
  readonly name: string;
  readonly message: string;
  /** The error's own classes below `kind`, nearest first (`["NotFoundError", "HttpError"]`). */
  readonly classes?: readonly string[];
  /** Set when the error must not be retried (see {@link nonRetryable}). */
  readonly nonRetryable?: true;
  readonly stack?: string;
  /** A failure record when the cause is an error, the value codec's JSON otherwise. */
  readonly cause?: unknown;
  /** An `AggregateError`'s errors, each like `cause`. */
  readonly errors?: readonly unknown[];
  /** The error's own enumerable fields (`code`, `status`, ...), in the value codec's JSON. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** Longer cause chains are cut here: whoever reads them would overflow the stack. */
const MAX_DEPTH = 100;

// --- nonRetryable ------------------------------------------------------------------------------

/**
 * Marks an error as one no retry can mend (bad input, a refused payment): the step's retry
 * policy is not asked, and the failure goes to `@catchError` or fails the run at once. The flag
 * survives journals and snapshots. An error class can also declare
 * `readonly nonRetryable = true`.
 * @returns the same error.
 * @example
 * throw nonRetryable(new Error(`No customer ${id}`));
 */
export function nonRetryable<E extends Error>(error: E): E & { readonly nonRetryable: true } {
  Object.defineProperty(error, "nonRetryable", {
    value: true,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return error as E & { readonly nonRetryable: true };
}

/** Whether an error is marked {@link nonRetryable} (its `nonRetryable` property is `true`). Never throws. */
export function isNonRetryable(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  try {
    return (error as { nonRetryable?: unknown }).nonRetryable === true;
  } catch {
    return false;
  }
}

// --- registry ----------------------------------------------------------------------------------

/** stepwise's own error classes: every class exported by `errors.ts`, and the journal's. */
function stepwiseClasses(): ErrorClass[] {
  const classes: ErrorClass[] = [JournalError];
  for (const value of Object.values(stepwiseErrors)) {
    if (typeof value === "function" && value.prototype instanceof Error) {
      classes.push(value as ErrorClass);
    }
  }
  return classes;
}

/** The classes every registry has; a workflow's own classes cannot take their names. */
const BASE_CLASSES: ReadonlyMap<string, ErrorClass> = new Map(
  [...Object.values(BUILT_IN_ERRORS), ...stepwiseClasses()].map((cls) => [cls.name, cls]),
);

/**
 * The registry of the built-in error classes, stepwise's own, and `classes` (a workflow's
 * `errors` option), by class name. A class whose name is taken by a built-in or stepwise class
 * is left out: {@link errorClassProblems} reports it.
 */
export function createErrorRegistry(classes: Iterable<ErrorClass> = []): Map<string, ErrorClass> {
  const registry = new Map(BASE_CLASSES);
  for (const cls of classes) {
    if (typeof cls === "function" && cls.name !== "" && !BASE_CLASSES.has(cls.name)) {
      registry.set(cls.name, cls);
    }
  }
  return registry;
}

/** The registry of the built-in and stepwise error classes only. */
export const defaultErrorRegistry: ErrorRegistry = createErrorRegistry();

/**
 * What is wrong with a workflow's `errors` option, one message per problem: not an error
 * class, an anonymous class, a name taken by a built-in or stepwise class, two classes with one
 * name. Each message names the class and says what to change.
 */
export function errorClassProblems(workflowName: string, classes: unknown): string[] {
  const where = `\`errors\` of ${workflowName}`;
  if (!Array.isArray(classes)) {
    return [`${where} must be an array of error classes; got ${describeValue(classes)}.`];
  }
  const problems: string[] = [];
  const seen = new Map<string, unknown>();
  for (const [i, cls] of classes.entries()) {
    if (typeof cls !== "function" || !(cls === Error || cls.prototype instanceof Error)) {
      problems.push(
        `${where}[${i}] must be a class that extends Error; got ${describeValue(cls)}.`,
      );
    } else if (cls.name === "") {
      problems.push(
        `${where}[${i}] is an anonymous class; failures find their class by name, so give it one.`,
      );
    } else if (BASE_CLASSES.has(cls.name) && BASE_CLASSES.get(cls.name) !== cls) {
      problems.push(
        `${where}[${i}] is named \`${cls.name}\`, like the built-in or stepwise class; rename it.`,
      );
    } else if (seen.has(cls.name) && seen.get(cls.name) !== cls) {
      problems.push(
        `${where} has two classes named \`${cls.name}\`; failures find their class by name, so rename one.`,
      );
    }
    if (typeof cls === "function") seen.set(cls.name, cls);
  }
  return problems;
}

// --- writing -----------------------------------------------------------------------------------

/**
 * An error as a failure record; `encodeNested` writes the values inside it (the value codec's
 * `encodeValue`). Errors inside it (the cause, an `AggregateError`'s errors, a field holding an
 * error) are failure records too. Never throws: a part that cannot be written (a field holding a
 * function, a cause that refers back to the error) is left out, and a name or message that is
 * not a string is written as text.
 */
export function encodeFailure(
  error: Error,
  encodeNested: (value: unknown) => unknown,
): FailureJson {
  return encodeAt(error, encodeNested, new Set(), 0);
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

function encodeAt(
  error: Error,
  encode: (value: unknown) => unknown,
  seen: Set<Error>,
  depth: number,
): FailureJson {
  seen.add(error);
  const part = (value: unknown): unknown => {
    if (isError(value)) {
      return seen.has(value) || depth + 1 >= MAX_DEPTH
        ? LEFT_OUT
        : encodeAt(value, encode, seen, depth + 1);
    }
    try {
      if (Array.isArray(value) && value.some(isError)) return value.map((item) => itemPart(item));
      return encode(value);
    } catch {
      return LEFT_OUT;
    }
  };
  // An item of an array cannot be left out (the others would move): one that cannot be written is text.
  const itemPart = (item: unknown): unknown => {
    const encoded = part(item);
    return encoded === LEFT_OUT ? safeText(item) : encoded;
  };
  const out: Record<string, unknown> = { $stepwise: "error", ...errorParts(error, part) };
  const fields = out.fields as Record<string, unknown> | undefined;
  if (fields && Object.hasOwn(fields, "nonRetryable")) {
    delete fields.nonRetryable;
    if (Object.keys(fields).length === 0) delete out.fields;
  }
  const classes = ownClasses(error);
  if (classes.length > 0) out.classes = classes;
  if (isNonRetryable(error)) out.nonRetryable = true;
  return out as unknown as FailureJson;
}

/** The named classes of an error below its nearest built-in class, nearest first. */
function ownClasses(error: Error): string[] {
  const classes: string[] = [];
  try {
    for (let proto = Object.getPrototypeOf(error); proto !== null; ) {
      if (BUILT_IN_PROTOS.has(proto)) break;
      const ctor = Object.hasOwn(proto, "constructor") ? proto.constructor : undefined;
      if (typeof ctor === "function" && typeof ctor.name === "string" && ctor.name !== "") {
        classes.push(ctor.name);
      }
      proto = Object.getPrototypeOf(proto);
    }
  } catch {
    // A proxy whose prototype trap throws: what was read so far stands.
  }
  return classes;
}

// --- reading -----------------------------------------------------------------------------------

const failureSchema = z.object({
  $stepwise: z.literal("error"),
  kind: z.string().optional(),
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
  cause: z.unknown().optional(),
  errors: z.array(z.unknown()).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  classes: z.array(z.string()).optional(),
  nonRetryable: z.literal(true).optional(),
});

/** Whether `value` is written as a failure record (`{ $stepwise: "error", ... }`). */
export function isFailureJson(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    (value as Record<string, unknown>).$stepwise === "error"
  );
}

/**
 * Revives a failure record as an `Error`: of the first of its `classes` that `errors` knows,
 * else of its built-in `kind`. `decodeNested` revives the values inside it (the value codec's
 * `decodeValue` with the workflow's event registry). Also reads the value codec's error tags.
 * @throws {@link SnapshotError} (`malformed`, or what `decodeNested` throws) naming the field,
 * with `path` relative to the record.
 */
export function decodeFailure(
  json: unknown,
  decodeNested: (json: unknown) => unknown,
  errors: ErrorRegistry = defaultErrorRegistry,
): Error {
  return decodeAt(json, "", { decode: decodeNested, errors }, 0);
}

/** How the values inside a record are read, and the classes errors are revived as. */
interface Reading {
  readonly decode: (json: unknown) => unknown;
  readonly errors: ErrorRegistry;
}

/** `path` followed by one more segment: `.key`, `[2]` or `["odd key"]` (as the value codec writes paths). */
function appendPath(path: string, segment: string | number): string {
  if (typeof segment === "number") return `${path}[${segment}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(segment)) return path === "" ? segment : `${path}.${segment}`;
  return `${path}[${JSON.stringify(segment)}]`;
}

function malformed(path: string, reason: string): SnapshotError {
  return new SnapshotError(
    "malformed",
    `The failure record's \`${path || "(root)"}\` ${reason}. Pass a record exactly as it was written.`,
    { path },
  );
}

function decodeAt(json: unknown, path: string, reading: Reading, depth: number): Error {
  if (depth >= MAX_DEPTH) throw malformed(path, `is nested more than ${MAX_DEPTH} causes deep`);
  const parsed = failureSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = (issue?.path ?? []).reduce<string>(
      (text, segment) => appendPath(text, segment as string | number),
      path,
    );
    throw malformed(at, `is not valid: ${issue?.message ?? "not a failure record"}`);
  }
  const record = parsed.data;
  const nested = (value: unknown, at: string) => decodeNested(value, at, reading, depth);
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record.fields ?? {})) {
    fields[key] = nested(value, appendPath(appendPath(path, "fields"), key));
  }
  const error = errorFromParts({
    kind: record.kind,
    name: record.name,
    message: record.message,
    stack: record.stack,
    ...(Object.hasOwn(record, "cause")
      ? { cause: { value: nested(record.cause, appendPath(path, "cause")) } }
      : {}),
    errors: (record.errors ?? []).map((item, i) =>
      nested(item, appendPath(appendPath(path, "errors"), i)),
    ),
    fields,
  });
  const cls = declaredClass(record.classes, reading.errors);
  // The error is made by its built-in class; a class of its own only lends its prototype.
  if (cls && !(error instanceof cls)) Object.setPrototypeOf(error, cls.prototype);
  if (record.nonRetryable) {
    Object.defineProperty(error, "nonRetryable", {
      value: true,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return error;
}

function decodeNested(value: unknown, path: string, reading: Reading, depth: number): unknown {
  if (isFailureJson(value)) return decodeAt(value, path, reading, depth + 1);
  try {
    return reading.decode(value);
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw error;
    const inner = error.path ?? "";
    const at = inner === "" ? path : inner.startsWith("[") ? path + inner : `${path}.${inner}`;
    throw new SnapshotError(error.code, error.message, {
      path: at,
      ...(error.eventType ? { eventType: error.eventType } : {}),
      cause: error.cause ?? error,
    });
  }
}

/** The first of a record's classes the registry knows, or null. */
function declaredClass(
  classes: readonly string[] | undefined,
  errors: ErrorRegistry,
): ErrorClass | null {
  for (const name of classes ?? []) {
    const cls = errors.get(name);
    if (cls) return cls;
  }
  return null;
}
