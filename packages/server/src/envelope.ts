/**
 * Events on the wire, read side: `{ value, qualified_name, type, types }`, the Python server's
 * `EventEnvelopeWithMetadata`. A user's event keeps its own field names; the engine's own events
 * are written with the Python names and values (`step_state: "not_running"`, `step_name`,
 * `exception`), because the LlamaIndex clients and the debugger read those.
 */
import {
  Event,
  type EventClass,
  HumanResponseEvent,
  InputRequiredEvent,
  StartEvent,
  StepFailedEvent,
  StepStateChanged,
  StopEvent,
  UnhandledEvent,
  WorkflowCancelledEvent,
  WorkflowFailedEvent,
  WorkflowIdleEvent,
  WorkflowTimedOutEvent,
} from "@stepwise/core";

/** An event as the server sends it (key order as on the wire). */
export interface EventEnvelope {
  /** The event's fields as JSON; untyped fields of a start or stop event under `_data`. */
  readonly value: Record<string, unknown>;
  /** `workflows.events.<Name>` for the engine's own events, else the event type. */
  readonly qualified_name: string | null;
  /** The event's `eventType`. */
  readonly type: string;
  /** The event classes it extends, nearest first, up to (not including) `Event`; null for none. */
  readonly types: readonly string[] | null;
}

/** The engine's own event classes, with the names the Python library gives them. */
const BUILT_INS = new Map<EventClass, string>([
  [StartEvent, "StartEvent"],
  [StopEvent, "StopEvent"],
  [InputRequiredEvent, "InputRequiredEvent"],
  [HumanResponseEvent, "HumanResponseEvent"],
  [WorkflowTimedOutEvent, "WorkflowTimedOutEvent"],
  [WorkflowCancelledEvent, "WorkflowCancelledEvent"],
  [WorkflowFailedEvent, "WorkflowFailedEvent"],
  [StepFailedEvent, "StepFailedEvent"],
  [StepStateChanged, "StepStateChanged"],
  [WorkflowIdleEvent, "WorkflowIdleEvent"],
  [UnhandledEvent, "UnhandledEvent"],
]);

/** In Python these extend `InternalDispatchEvent`, which clients test for. */
const INTERNAL = new Set<EventClass>([StepStateChanged, WorkflowIdleEvent, UnhandledEvent]);

/** The qualified name of an event class: Python's for the engine's own, else its `eventType`. */
export function qualifiedName(cls: EventClass): string {
  const builtIn = BUILT_INS.get(cls);
  return builtIn === undefined ? cls.eventType : `workflows.events.${builtIn}`;
}

/**
 * The names of the event classes `cls` extends, nearest first, stopping before `Event`. The
 * anonymous class `Event.define(...)` makes between a class and its parent is skipped.
 */
export function eventTypes(cls: EventClass): string[] | null {
  if (INTERNAL.has(cls)) return ["InternalDispatchEvent"];
  const names: string[] = [];
  let current: unknown = Object.getPrototypeOf(cls);
  while (typeof current === "function" && current !== Event) {
    const parent = current as EventClass;
    if (parent.name !== "" && parent.name !== "defined") names.push(parent.eventType);
    if (INTERNAL.has(parent)) names.push("InternalDispatchEvent");
    current = Object.getPrototypeOf(current);
  }
  return names.length > 0 ? names : null;
}

/** Builds the envelope of an event. */
export function envelopeOf(event: Event, includeQualifiedName = true): EventEnvelope {
  const cls = event.constructor as EventClass;
  return {
    value: wireValue(event, cls),
    qualified_name: includeQualifiedName ? qualifiedName(cls) : null,
    type: cls.eventType,
    types: eventTypes(cls),
  };
}

/** The envelope as compact JSON (values JSON cannot hold are written as in {@link toJsonSafe}). */
export function envelopeJson(envelope: EventEnvelope): string {
  return JSON.stringify(envelope, jsonReplacer);
}

/** A value as plain JSON data: what `JSON.stringify` with {@link jsonReplacer} writes, read back. */
export function toJsonSafe<T>(value: T): T {
  const text = JSON.stringify(value, jsonReplacer);
  return text === undefined ? (null as T) : (JSON.parse(text) as T);
}

/** Errors as `{ name, message }`, maps as objects, sets as arrays, bigints as strings. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

function wireValue(event: Event, cls: EventClass): Record<string, unknown> {
  const fields = event as unknown as Record<string, unknown>;
  if (event instanceof StepStateChanged) {
    return {
      name: event.name,
      step_state: event.stepState === "notRunning" ? "not_running" : event.stepState,
      worker_id: String(event.workerId),
      input_event_name: event.inputEventName,
      output_event_name: event.outputEventName,
    };
  }
  if (event instanceof UnhandledEvent) {
    return {
      event_type: event.eventType,
      qualified_name: event.eventType,
      step_name: event.stepName,
      idle: event.idle,
    };
  }
  if (event instanceof WorkflowFailedEvent) {
    return {
      step_name: event.stepName,
      exception: { exception_type: event.error.name, exception_message: event.error.message },
      attempts: event.attempts,
      elapsed_seconds: event.elapsedSeconds,
    };
  }
  if (event instanceof WorkflowTimedOutEvent) {
    return { timeout: event.timeout, active_steps: event.activeSteps };
  }
  if (event instanceof WorkflowCancelledEvent || event instanceof WorkflowIdleEvent) return {};
  const declared = (cls as { schema?: { shape: Record<string, unknown> } }).schema?.shape ?? {};
  const isStop = event instanceof StopEvent;
  const isDynamic = isStop || event instanceof StartEvent;
  const value: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  // A plain StopEvent always carries `result`, as in Python (`{"result": null}` without one).
  if (cls === StopEvent) value.result = fields.result ?? null;
  for (const key of Object.keys(event)) {
    if (cls === StopEvent && key === "result") continue;
    if (!isDynamic || Object.hasOwn(declared, key) || (isStop && key === "result")) {
      value[key] = fields[key];
    } else {
      extra[key] = fields[key];
    }
  }
  // Untyped fields of a dict-like event go under `_data`, where Python keeps them.
  if (Object.keys(extra).length > 0) value._data = extra;
  return value;
}
