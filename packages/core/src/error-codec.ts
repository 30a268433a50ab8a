/**
 * Errors as snapshot data: name, message and stack, the nearest built-in class (so a
 * `TypeError` comes back as a `TypeError`), the cause, an `AggregateError`'s errors and the
 * error's own enumerable fields. The JSON walk around it (tags, paths, nested values) is the
 * event codec's; this module only takes errors apart and puts them back together.
 */
import { safeText } from "./internal/describe.js";

/** The built-in error classes that come back as themselves; other errors come back as `Error`. */
export const ERROR_CLASSES = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  EvalError,
  URIError,
  ReferenceError,
  AggregateError,
} as const;
type ErrorKind = keyof typeof ERROR_CLASSES;
const ERROR_KINDS = Object.keys(ERROR_CLASSES) as ErrorKind[];
/** Error properties written on their own, not among an error's `fields`. */
const ERROR_KEYS = new Set(["name", "message", "stack", "cause", "errors", "__proto__"]);

/** What an encoder callback returns for a part it cannot write: the part is left out. */
export const LEFT_OUT: unique symbol = Symbol("left out");

/** The nearest built-in error class on the prototype chain. */
function errorKind(error: Error): ErrorKind {
  for (
    let proto = Object.getPrototypeOf(error);
    proto !== null;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const kind of ERROR_KINDS) {
      if (ERROR_CLASSES[kind].prototype === proto) return kind;
    }
  }
  return "Error";
}

/** Reads a property, or undefined when its getter throws. */
function read(error: Error, key: string): unknown {
  try {
    return (error as unknown as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * The parts of an error as JSON. `encodePart` writes a part (cause, errors, a field) or returns
 * {@link LEFT_OUT} when it cannot: an error's extras are kept where they can be written, so an
 * error is never refused for what it carries.
 */
export function errorParts(
  error: Error,
  encodePart: (value: unknown) => unknown,
): Record<string, unknown> {
  const name = read(error, "name");
  const message = read(error, "message");
  const out: Record<string, unknown> = {
    kind: errorKind(error),
    name: typeof name === "string" ? name : safeText(name),
    message: typeof message === "string" ? message : safeText(message),
  };
  const stack = read(error, "stack");
  if (typeof stack === "string") out.stack = stack;
  if (Object.hasOwn(error, "cause")) {
    const cause = encodePart(read(error, "cause"));
    if (cause !== LEFT_OUT) out.cause = cause;
  }
  if (error instanceof AggregateError) {
    const errors = encodePart(read(error, "errors"));
    if (errors !== LEFT_OUT) out.errors = errors;
  }
  const fields: Record<string, unknown> = {};
  let hasFields = false;
  for (const key of Object.keys(error)) {
    if (ERROR_KEYS.has(key)) continue;
    const field = encodePart(read(error, key));
    if (field === LEFT_OUT) continue;
    fields[key] = field;
    hasFields = true;
  }
  if (hasFields) out.fields = fields;
  return out;
}

/** An error's parts, read back (nested values already revived). */
export interface ErrorParts {
  /** The built-in class it was, when the snapshot says (older snapshots only have `name`). */
  readonly kind: unknown;
  readonly name: string;
  readonly message: string;
  readonly stack: unknown;
  /** Absent when the error had no cause. */
  readonly cause?: { readonly value: unknown };
  readonly errors: readonly unknown[];
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Builds an error back from its parts, of the class it was when that is built in. */
export function errorFromParts(parts: ErrorParts): Error {
  const kindName = typeof parts.kind === "string" ? parts.kind : parts.name;
  const kind: ErrorKind = Object.hasOwn(ERROR_CLASSES, kindName)
    ? (kindName as ErrorKind)
    : "Error";
  const options = parts.cause ? { cause: parts.cause.value } : undefined;
  const error =
    kind === "AggregateError"
      ? new AggregateError(parts.errors, parts.message, options)
      : new ERROR_CLASSES[kind](parts.message, options);
  if (error.name !== parts.name) error.name = parts.name;
  if (typeof parts.stack === "string") error.stack = parts.stack;
  for (const key of Object.keys(parts.fields)) {
    if (!ERROR_KEYS.has(key))
      (error as unknown as Record<string, unknown>)[key] = parts.fields[key];
  }
  return error;
}
