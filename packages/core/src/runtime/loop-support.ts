/** Small pieces of the runner: class facts, safe checks of user values, taking turns with the event loop. */
import { errorText, WorkflowRuntimeError } from "../errors.js";
import {
  Event,
  type EventClass,
  type EventRole,
  eventRole,
  StopEvent,
  sampleEvent,
} from "../events.js";
import { describeValue } from "../internal/describe.js";

/** What the runner needs to know about an event class. */
export interface ClassInfo {
  readonly type: string;
  readonly role: EventRole;
  /**
   * An event of the class holding no data, kept as long as the class lives, so that a full GC
   * between runs does not collect the class's shape (see internal/shapes.ts).
   */
  readonly sample: Event | null;
}
const classInfos = new WeakMap<object, ClassInfo>();

/** The `eventType` and role of an event class, computed once per class. */
export function classInfo(cls: EventClass): ClassInfo {
  let info = classInfos.get(cls);
  if (!info) {
    info = { type: cls.eventType, role: eventRole(cls), sample: sampleEvent(cls) };
    classInfos.set(cls, info);
  }
  return info;
}

/**
 * Empties an array that is about to be filled again. `array.length = 0` gives up the array's
 * backing store, so the next push allocates a new one; popping keeps it.
 */
export function clearArray(array: unknown[]): void {
  while (array.length > 0) array.pop();
}

/** Whether a value is a promise-like (without letting a throwing `then` getter escape). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  try {
    return typeof (value as { then?: unknown }).then === "function";
  } catch {
    return false;
  }
}

// --- taking turns with the event loop -------------------------------------------------------
//
// Steps that never wait on I/O chain on microtasks (async) or inline (sync), so a busy run
// could starve timers (its own timeout), `cancel()`, I/O and other runs. Every run counts the
// ticks it applies; every CHECK_EVERY ticks it looks at the real time. The first look of a
// slice schedules a macrotask that marks "the event loop had a turn"; a run that finds the
// slice older than SLICE_MS without that mark pauses, and resumes on a macrotask of its own.
// All runs share one slice, so a thousand small runs take turns as one busy run would.

/** Ticks a run applies between looks at the time. */
export const CHECK_EVERY = 128;
/** Longest stretch (ms of real time) of ticks before runs let the event loop run. */
const SLICE_MS = 10;

const setImmediateFn = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
/** Runs `fn` on a later macrotask: `setImmediate` where there is one (Node), else a 0 ms timer. */
export const nextTurn: (fn: () => void) => void =
  typeof setImmediateFn === "function"
    ? (fn) => {
        setImmediateFn(fn);
      }
    : (fn) => {
        globalThis.setTimeout(fn, 0);
      };
const realNow: () => number =
  typeof globalThis.performance?.now === "function"
    ? () => globalThis.performance.now()
    : () => Date.now();

/** When the current slice began (real ms), or -1 once the event loop has had a turn since. */
let sliceStart = -1;

function markTurn(): void {
  sliceStart = -1;
}

/** Whether runs have held the event loop for longer than a slice. */
export function sliceOver(): boolean {
  const now = realNow();
  if (sliceStart < 0) {
    sliceStart = now;
    nextTurn(markTurn);
    return false;
  }
  return now - sliceStart > SLICE_MS;
}

/** Whether a value is an event, even when it is a proxy whose traps throw. */
export function isEvent(value: unknown): value is Event {
  try {
    return value instanceof Event;
  } catch {
    return false;
  }
}

/**
 * A retry policy's answer in ms: null for no retry, a finite number of seconds >= 0 for a
 * retry, or for anything else a {@link WorkflowRuntimeError} (caused by the step's error) that
 * fails the step instead.
 */
export function retryDelay(seconds: unknown, step: string, error: Error): number | null | Error {
  if (seconds === null || seconds === undefined) return null;
  if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const got = isThenable(seconds)
    ? "a promise (retry policies are synchronous)"
    : describeValue(seconds);
  return new WorkflowRuntimeError(
    "badRetryDelay",
    { step, received: got, stepError: errorText(error).message },
    { cause: error },
  );
}

/** The error an `ErrorInfo` stands for: the original value when there is one. */
export function errorValue(
  info: { name: string; message: string; value?: unknown },
  step?: string,
): Error {
  if (info.value instanceof Error) return info.value;
  // The loop's own failures (a fan-out that can never complete) arrive as data.
  if (info.value === undefined && info.name === "WorkflowRuntimeError")
    return new WorkflowRuntimeError("collectionStuck", step ? { step } : {}, {
      message: info.message,
    });
  const error = new Error(info.message);
  error.name = info.name;
  return error;
}

/** A run's result for the verbose log. */
export function describeResult(terminal: Event | null, value: unknown): string {
  const type = terminal ? (terminal.constructor as EventClass).eventType : "result";
  let text: string;
  try {
    text =
      typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  if (text.length > 200) text = `${text.slice(0, 197)}...`;
  return terminal && terminal.constructor === StopEvent
    ? `${type}(result=${text})`
    : `${type} ${text}`;
}
