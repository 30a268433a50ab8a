/**
 * Events on the wire, write side (the Python `EventEnvelope.parse`): an object, or a JSON string
 * of one, `{ type, value }`, `{ qualified_name, value }`, or the legacy `{ type, data }`. Only
 * classes the workflow knows are made: a name in a request never picks any other class.
 */
import { type Event, type EventClass, EventValidationError } from "@stepwise/core";
import { qualifiedName } from "./envelope.js";

/** Why a request's event could not be read; its message is the response's `detail`. */
export class EventParseError extends Error {
  override readonly name = "EventParseError";
}

/** Options of {@link parseEvent}. */
export interface ParseEventOptions {
  /**
   * For a start event: a bare object (neither `value` nor both `type` and `qualified_name`) is
   * the value of this class.
   */
  readonly bareAs?: EventClass;
}

/**
 * Reads an event from request data and makes it with the class its `type` (or
 * `qualified_name`) names in `registry`.
 * @throws {@link EventParseError} saying what was wrong.
 */
export function parseEvent(
  data: unknown,
  registry: ReadonlyMap<string, EventClass>,
  options: ParseEventOptions = {},
): Event {
  const parsed = typeof data === "string" ? parseJsonOr(data) : data;
  if (!isPlainObject(parsed)) {
    throw new EventParseError(
      "Failed to deserialize event. Must be a json object, or stringified json object",
    );
  }
  let envelope: Record<string, unknown> = parsed;
  if (!("value" in envelope) && "data" in envelope)
    envelope = { ...envelope, value: envelope.data };
  let known = registry;
  const hasQualifiers = "qualified_name" in envelope && "type" in envelope;
  if (!hasQualifiers && !("value" in envelope) && options.bareAs) {
    const cls = options.bareAs;
    if (!registry.has(cls.eventType)) known = new Map([...registry, [cls.eventType, cls]]);
    envelope = { type: cls.eventType, value: parsed };
  }
  const { type, qualified_name: qualified, value } = envelope;
  if (type !== undefined && type !== null && typeof type !== "string") {
    throw new EventParseError(
      `Failed to deserialize event: \`type\` must be a string; got ${typeof type}`,
    );
  }
  if (type) {
    const cls = known.get(type);
    if (!cls) throw new EventParseError(unknownType(type, known));
    return construct(cls, value);
  }
  if (typeof qualified === "string" && qualified !== "") {
    const cls = byQualifiedName(qualified, known);
    if (!cls) throw new EventParseError(unknownType(qualified, known));
    return construct(cls, value);
  }
  throw new EventParseError(
    `Invalid client data. Must have a type or a qualified name, got ${JSON.stringify(envelope)}`,
  );
}

function unknownType(name: string, registry: ReadonlyMap<string, EventClass>): string {
  return `Invalid event type: ${name}. Expected one of ${[...registry.keys()].join(", ")}`;
}

/** The class whose qualified name is `name`, or whose type is its last dotted part. */
function byQualifiedName(
  name: string,
  registry: ReadonlyMap<string, EventClass>,
): EventClass | undefined {
  for (const cls of registry.values()) if (qualifiedName(cls) === name) return cls;
  return registry.get(name.slice(name.lastIndexOf(".") + 1));
}

/** Makes the event; untyped fields the client sent under `_data` (as Python does) are unwrapped. */
function construct(cls: EventClass, value: unknown): Event {
  if (value !== undefined && value !== null && !isPlainObject(value)) {
    throw new EventParseError(
      `Failed to deserialize event: the value of \`${cls.eventType}\` must be an object of its fields; got ${Array.isArray(value) ? "an array" : typeof value}`,
    );
  }
  let fields: Record<string, unknown> = value ?? {};
  const extra = fields._data;
  if (isPlainObject(extra)) {
    const { _data: _, ...rest } = fields;
    fields = { ...rest, ...extra };
  }
  try {
    return new (cls as unknown as new (fields: object) => Event)(fields);
  } catch (error) {
    const text = error instanceof EventValidationError ? error.message : describe(error);
    throw new EventParseError(`Failed to deserialize event: ${text}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Whether a value is a JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
