/**
 * JSON for events and the values they carry. Events are written as `{ type, data }` and revived
 * by `eventType` through a registry of the workflow's classes. Values JSON cannot carry (dates,
 * errors, maps, sets, bigints, `undefined`, `NaN`, nested events) are written as tagged objects
 * `{ $stepwise: kind, ... }` and come back as what they were. A user's own object with a
 * `$stepwise` key is wrapped (`{ $stepwise: "object", value }`), so user data can never pass for
 * a tag. Anything else (functions, symbols, class instances, cycles) is refused when written,
 * naming the field, rather than coming back changed.
 */
import { errorFromParts, errorParts, LEFT_OUT } from "./error-codec.js";
import { EventValidationError, SnapshotError } from "./errors.js";
import { BUILT_IN_EVENTS, Event, type EventClass, type EventJSON } from "./events.js";
import { describeValue, safeText } from "./internal/describe.js";

const TAG = "$stepwise";
/** Deeper values are refused: they would overflow the stack of whoever reads them. */
const MAX_DEPTH = 500;

/** A registry from `eventType` to class, for reviving events from JSON. */
export type EventRegistry = ReadonlyMap<string, EventClass>;

/** Builds the registry of the given classes plus the engine's own events. */
export function createEventRegistry(classes: Iterable<EventClass>): Map<string, EventClass> {
  const registry = new Map<string, EventClass>();
  for (const cls of BUILT_IN_EVENTS) registry.set(cls.eventType, cls);
  for (const cls of classes) registry.set(cls.eventType, cls);
  return registry;
}

/** Renders a field path: `items[2].name`, `timers["retry:1"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let text = "";
  for (const segment of segments) text = appendPath(text, segment);
  return text;
}

/** `path` followed by one more segment: `.key`, `[2]` or `["odd key"]`. */
export function appendPath(path: string, segment: string | number): string {
  if (typeof segment === "number") return `${path}[${segment}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(segment)) return path === "" ? segment : `${path}.${segment}`;
  return `${path}[${JSON.stringify(segment)}]`;
}

/** A value that cannot be written or read; its path is collected as the throw unwinds. */
class ValueProblem {
  readonly segments: (string | number)[] = [];
  constructor(readonly reason: string) {}
}

/** Adds a path segment to a problem thrown below it; anything else thrown becomes a problem. */
function within(error: unknown, segment: string | number): unknown {
  if (error instanceof SnapshotError) return error;
  const problem =
    error instanceof ValueProblem ? error : new ValueProblem(`threw when read: ${safeText(error)}`);
  problem.segments.unshift(segment);
  return problem;
}

/** Sets `out[key]` as an own field, even for `__proto__` (which assignment would treat as the prototype). */
function setField(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[key] = value;
  }
}

// --- writing -----------------------------------------------------------------------------------

/**
 * Turns a value into JSON-safe data, tagging what JSON cannot carry.
 * @throws {@link SnapshotError} (`unserializable`) for functions, symbols, class instances and cycles.
 */
export function encodeValue(value: unknown): unknown {
  try {
    return encodeAt(value, new Set(), 0);
  } catch (error) {
    throw unserializable(error, null);
  }
}

/**
 * An event as `{ type, data }`, with its field values encoded.
 * @throws {@link SnapshotError} (`unserializable`) naming the field that cannot be written.
 */
export function encodeEvent(event: Event): EventJSON {
  return encodeEventAt(event, new Set(), 0);
}

/** A problem found while writing, as the `SnapshotError` that names it; anything thrown becomes one. */
function unserializable(thrown: unknown, eventType: string | null): unknown {
  if (thrown instanceof SnapshotError) return thrown;
  const error =
    thrown instanceof ValueProblem
      ? thrown
      : new ValueProblem(`threw when read: ${safeText(thrown)}`);
  const path = formatPath(error.segments);
  const where = eventType
    ? `Field \`${path || "(fields)"}\` of event \`${eventType}\``
    : `The value at \`${path || "(root)"}\``;
  return new SnapshotError(
    "unserializable",
    `${where} ${error.reason}, which a snapshot cannot carry. Keep plain data, dates, errors, maps, sets and events in events.`,
    { path, ...(eventType ? { eventType } : {}) },
  );
}

function encodeEventAt(event: Event, seen: Set<object>, depth: number): EventJSON {
  const type = (event.constructor as EventClass).eventType;
  try {
    return { type, data: encodeFields(event as unknown as Record<string, unknown>, seen, depth) };
  } catch (error) {
    throw unserializable(error, type);
  }
}

function encodeAt(value: unknown, seen: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { [TAG]: "number", value: Object.is(value, -0) ? "-0" : String(value) };
    case "undefined":
      return { [TAG]: "undefined" };
    case "bigint":
      return { [TAG]: "bigint", value: value.toString() };
    case "symbol":
    case "function":
      throw new ValueProblem(`is a ${typeof value}`);
  }
  if (value === null) return null;
  const obj = value as object;
  if (depth >= MAX_DEPTH) throw new ValueProblem(`is nested more than ${MAX_DEPTH} levels deep`);
  if (seen.has(obj)) throw new ValueProblem("refers back to an object that contains it (a cycle)");
  seen.add(obj);
  try {
    return encodeObject(obj, seen, depth + 1);
  } finally {
    seen.delete(obj);
  }
}

function encodeObject(obj: object, seen: Set<object>, depth: number): unknown {
  const proto = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null) {
    const out = encodeFields(obj as Record<string, unknown>, seen, depth);
    return Object.hasOwn(obj, TAG) ? { [TAG]: "object", value: out } : out;
  }
  if (proto === Array.prototype) return encodeItems(obj as unknown[], seen, depth);
  if (obj instanceof Event) return { [TAG]: "event", ...encodeEventAt(obj, seen, depth) };
  if (obj instanceof UnrevivedEvent) return { [TAG]: "event", ...obj.json };
  if (obj instanceof Error) return encodeError(obj, seen, depth);
  if (proto === Date.prototype) {
    const time = (obj as Date).getTime();
    return { [TAG]: "date", iso: Number.isNaN(time) ? null : (obj as Date).toISOString() };
  }
  if (proto === Map.prototype) {
    const entries = encodeItems([...(obj as Map<unknown, unknown>)], seen, depth);
    return { [TAG]: "map", entries };
  }
  if (proto === Set.prototype) {
    return { [TAG]: "set", values: encodeItems([...(obj as Set<unknown>)], seen, depth) };
  }
  throw new ValueProblem(`is ${describeValue(obj)}`);
}

function encodeFields(
  obj: Record<string, unknown>,
  seen: Set<object>,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    try {
      setField(out, key, encodeAt(obj[key], seen, depth));
    } catch (error) {
      throw within(error, key);
    }
  }
  return out;
}

function encodeItems(items: readonly unknown[], seen: Set<object>, depth: number): unknown[] {
  const out: unknown[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      out[i] = encodeAt(items[i], seen, depth);
    } catch (error) {
      throw within(error, i);
    }
  }
  return out;
}

/** An error's extras (cause, fields) are kept where they can be written, left out where not. */
function encodeError(error: Error, seen: Set<object>, depth: number): Record<string, unknown> {
  const encodePart = (value: unknown): unknown => {
    try {
      return encodeAt(value, seen, depth);
    } catch (problem) {
      if (problem instanceof ValueProblem || problem instanceof SnapshotError) return LEFT_OUT;
      throw problem;
    }
  };
  return { [TAG]: "error", ...errorParts(error, encodePart) };
}

// --- reading -----------------------------------------------------------------------------------

/** What to do with an event whose type the registry lacks; by default it is an error. */
export type UnknownEventHandler = (json: EventJSON) => unknown;

/**
 * Revives a value written by {@link encodeValue}. `onUnknown` is asked when `value` itself is an
 * event of unknown type, never about events inside other values.
 * @throws {@link SnapshotError} for a malformed tag, an unknown event type or an invalid event.
 */
export function decodeValue(
  value: unknown,
  registry: EventRegistry,
  onUnknown?: UnknownEventHandler,
): unknown {
  try {
    return decodeAt(value, registry, onUnknown, 0);
  } catch (error) {
    throw malformed(error, null);
  }
}

/**
 * Revives an event from `{ type, data }`; `onUnknown` decides about a type the registry lacks.
 * @throws {@link SnapshotError} when the type is not one of the workflow's events (`unknownEventType`),
 * its data is malformed (`malformed`), or its fields fail the class's schema (`invalidEvent`).
 */
export function decodeEvent(
  json: EventJSON,
  registry: EventRegistry,
  onUnknown?: UnknownEventHandler,
): Event {
  return decodeEventAt(json, registry, onUnknown, 0);
}

function malformed(error: unknown, eventType: string | null): unknown {
  if (!(error instanceof ValueProblem)) return error;
  const path = formatPath(error.segments);
  const where = eventType
    ? `field \`${path || "(fields)"}\` of event \`${eventType}\``
    : `the value at \`${path || "(root)"}\``;
  return new SnapshotError(
    "malformed",
    `The snapshot's ${where} ${error.reason}. Pass a snapshot exactly as \`toJSON()\` wrote it.`,
    { path, ...(eventType ? { eventType } : {}) },
  );
}

function decodeEventAt(
  json: EventJSON,
  registry: EventRegistry,
  onUnknown: UnknownEventHandler | undefined,
  depth: number,
): Event {
  const cls = registry.get(json.type);
  if (!cls && onUnknown) return onUnknown(json) as Event;
  if (!cls) {
    const known = [...registry.keys()].join(", ");
    throw new SnapshotError(
      "unknownEventType",
      `Cannot revive event of type \`${json.type}\`: the workflow has no event class with that \`eventType\`. Known types: ${known}.`,
      { eventType: json.type },
    );
  }
  const data = json.data ?? {};
  let fields: Record<string, unknown>;
  try {
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new ValueProblem(`is ${describeValue(data)}, not an object of fields`);
    }
    fields = decodeFields(data, registry, depth);
  } catch (error) {
    throw malformed(error, json.type);
  }
  try {
    return new (cls as unknown as new (fields: Record<string, unknown>) => Event)(fields);
  } catch (error) {
    const reason =
      error instanceof EventValidationError
        ? error.message
        : `its constructor threw: ${safeText(error)}`;
    throw new SnapshotError(
      "invalidEvent",
      `Cannot revive event of type \`${json.type}\` from the snapshot: ${reason}`,
      { eventType: json.type, cause: error },
    );
  }
}

function decodeAt(
  value: unknown,
  registry: EventRegistry,
  onUnknown: UnknownEventHandler | undefined,
  depth: number,
): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) throw new ValueProblem(`is nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) return decodeItems(value, registry, depth + 1);
  const record = value as Record<string, unknown>;
  if (!Object.hasOwn(record, TAG)) return decodeFields(record, registry, depth + 1);
  return decodeTagged(record, registry, onUnknown, depth + 1);
}

function decodeFields(
  record: Record<string, unknown>,
  registry: EventRegistry,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    try {
      setField(out, key, decodeAt(record[key], registry, undefined, depth));
    } catch (error) {
      throw within(error, key);
    }
  }
  return out;
}

function decodeItems(items: readonly unknown[], registry: EventRegistry, depth: number): unknown[] {
  const out: unknown[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      out[i] = decodeAt(items[i], registry, undefined, depth);
    } catch (error) {
      throw within(error, i);
    }
  }
  return out;
}

function field<T>(record: Record<string, unknown>, key: string, check: (v: unknown) => v is T): T {
  const value = record[key];
  if (!check(value)) {
    const problem = new ValueProblem(`is ${describeValue(value)}`);
    problem.segments.push(key);
    throw problem;
  }
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

const NUMBERS: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
  "-0": -0,
};

function decodeTagged(
  record: Record<string, unknown>,
  registry: EventRegistry,
  onUnknown: UnknownEventHandler | undefined,
  depth: number,
): unknown {
  const tag = record[TAG];
  switch (tag) {
    case "object":
      return decodeFields(field(record, "value", isObject), registry, depth);
    case "event":
      return decodeEventAt(
        { type: field(record, "type", isString), data: field(record, "data", isObject) },
        registry,
        onUnknown,
        depth,
      );
    case "error":
      return decodeError(record, registry, depth);
    case "date": {
      const iso = record.iso;
      if (iso === null) return new Date(Number.NaN);
      const date = new Date(field(record, "iso", isString));
      if (Number.isNaN(date.getTime())) throw within(new ValueProblem("is not a date"), "iso");
      return date;
    }
    case "map": {
      const entries = decodeItems(field(record, "entries", isArray), registry, depth);
      if (!entries.every((entry) => Array.isArray(entry) && entry.length === 2)) {
        throw within(new ValueProblem("are not [key, value] pairs"), "entries");
      }
      return new Map(entries as [unknown, unknown][]);
    }
    case "set":
      return new Set(decodeItems(field(record, "values", isArray), registry, depth));
    case "bigint": {
      const text = field(record, "value", isString);
      if (!/^-?\d+$/.test(text)) throw within(new ValueProblem("is not an integer"), "value");
      return BigInt(text);
    }
    case "number": {
      const text = field(record, "value", isString);
      if (!Object.hasOwn(NUMBERS, text)) {
        throw within(new ValueProblem("is not NaN, Infinity, -Infinity or -0"), "value");
      }
      return NUMBERS[text];
    }
    case "undefined":
      return undefined;
    default:
      throw within(new ValueProblem(`is ${safeText(tag)}, which is not a known tag`), TAG);
  }
}

function decodeError(
  record: Record<string, unknown>,
  registry: EventRegistry,
  depth: number,
): Error {
  const has = (key: string) => Object.hasOwn(record, key);
  return errorFromParts({
    kind: record.kind,
    name: field(record, "name", isString),
    message: field(record, "message", isString),
    stack: record.stack,
    ...(has("cause")
      ? { cause: { value: decodeAt(record.cause, registry, undefined, depth) } }
      : {}),
    errors: has("errors") ? decodeItems(field(record, "errors", isArray), registry, depth) : [],
    fields: has("fields") ? decodeFields(field(record, "fields", isObject), registry, depth) : {},
  });
}

/**
 * An event from a snapshot whose class the workflow does not declare (a class only passed to
 * `waitForEvent`): kept as JSON until the waiting step asks for it by class.
 */
export class UnrevivedEvent {
  constructor(readonly json: EventJSON) {}
}
