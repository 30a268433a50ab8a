/**
 * JSON for events and the values they carry. Events are written as `{ type, data }` and revived
 * by `eventType` through a registry of the workflow's classes. Errors, dates and nested events
 * inside fields are tagged so they come back as what they were.
 */
import { SnapshotError } from "./errors.js";
import { BUILT_IN_EVENTS, Event, type EventClass, type EventJSON } from "./events.js";

const TAG = "$stepwise";

/** A registry from `eventType` to class, for reviving events from JSON. */
export type EventRegistry = ReadonlyMap<string, EventClass>;

/** Builds the registry of the given classes plus the engine's own events. */
export function createEventRegistry(classes: Iterable<EventClass>): Map<string, EventClass> {
  const registry = new Map<string, EventClass>();
  for (const cls of BUILT_IN_EVENTS) registry.set(cls.eventType, cls);
  for (const cls of classes) registry.set(cls.eventType, cls);
  return registry;
}

/** Turns a field value into JSON-safe data, tagging errors, dates and events. */
export function encodeValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    return { [TAG]: "error", name: value.name, message: value.message };
  }
  if (value instanceof Date) return { [TAG]: "date", iso: value.toISOString() };
  if (value instanceof Event) {
    return { [TAG]: "event", ...encodeEvent(value) };
  }
  if (Array.isArray(value)) return value.map(encodeValue);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    out[key] = encodeValue((value as Record<string, unknown>)[key]);
  return out;
}

/** An event as `{ type, data }`, with its field values encoded. */
export function encodeEvent(event: Event): EventJSON {
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(event))
    data[key] = encodeValue((event as unknown as Record<string, unknown>)[key]);
  return { type: (event.constructor as EventClass).eventType, data };
}

/** What to do with an event whose type the registry lacks; by default it is an error. */
export type UnknownEventHandler = (json: EventJSON) => unknown;

/** Revives a value written by {@link encodeValue}. */
export function decodeValue(
  value: unknown,
  registry: EventRegistry,
  onUnknown?: UnknownEventHandler,
): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => decodeValue(item, registry, onUnknown));
  const record = value as Record<string, unknown>;
  switch (record[TAG]) {
    case "error": {
      const error = new Error(String(record.message));
      error.name = String(record.name);
      return error;
    }
    case "date":
      return new Date(String(record.iso));
    case "event":
      return decodeEvent(
        { type: String(record.type), data: record.data as Record<string, unknown> },
        registry,
        onUnknown,
      );
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) out[key] = decodeValue(record[key], registry, onUnknown);
  return out;
}

/**
 * Revives an event from `{ type, data }`.
 * @throws {@link SnapshotError} when the type is not one of the workflow's events.
 */
export function decodeEvent(
  json: EventJSON,
  registry: EventRegistry,
  onUnknown?: UnknownEventHandler,
): Event {
  const cls = registry.get(json.type);
  if (!cls && onUnknown) return onUnknown(json) as Event;
  if (!cls) {
    const known = [...registry.keys()].join(", ");
    throw new SnapshotError(
      `Cannot revive event of type \`${json.type}\`: the workflow has no event class with that \`eventType\`. Known types: ${known}.`,
    );
  }
  const data = decodeValue(json.data ?? {}, registry, onUnknown) as Record<string, unknown>;
  return new (cls as unknown as new (fields: Record<string, unknown>) => Event)(data);
}

/**
 * An event from a snapshot whose class the workflow does not declare (a class only passed to
 * `waitForEvent`): kept as JSON until the waiting step asks for it by class.
 */
export class UnrevivedEvent {
  constructor(readonly json: EventJSON) {}
}
