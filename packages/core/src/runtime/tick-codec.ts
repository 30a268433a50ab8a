/**
 * Ticks as a wire format: every tick of `control-loop/ticks.ts` as plain JSON and back, for
 * journals (`@stepwise/sqlite`, `@stepwise/dbos`) and anything else that stores or sends them.
 * Events are written as `{ $stepwise: "event", type, data }` (the value codec's form) and
 * revived by `eventType` from the workflow's registry, never by loading a module the data names.
 * Errors are written as failure records (`failure.ts`). Reading checks the shape with zod before
 * anything is trusted, and every problem is a {@link JournalError} with a `code` and the path of
 * the field.
 *
 * Events a step only writes to the stream may be of a class the workflow does not declare: in a
 * `write` tick and a published entry, such an event comes back as an event of a stand-in class
 * with its `eventType` and fields (`toJSON()` is the same), not as an instance of its own class.
 *
 * Encoding is deterministic: the same tick always gives the same JSON, keys in a fixed order.
 * A change to this format is a change to the golden files in `test/fixtures/ticks.json`.
 */
import { z } from "zod";
import type {
  ErrorInfo,
  EventRecord,
  Recoveries,
  Scope,
  StepOutcome,
  Tick,
  WaiterSpec,
} from "../control-loop/ticks.js";
import { SnapshotError } from "../errors.js";
import {
  appendPath,
  decodeEvent,
  decodeValue,
  type EventRegistry,
  encodeEvent,
  encodeValue,
} from "../event-codec.js";
import {
  createEventUnchecked,
  Event,
  type EventClass,
  type EventJSON,
  type EventRole,
  eventRole,
} from "../events.js";
import {
  decodeFailure,
  defaultErrorRegistry,
  type ErrorRegistry,
  encodeFailure,
} from "../failure.js";
import { describeValue, safeText } from "../internal/describe.js";
import { JournalError, type JournalErrorCode } from "../journal-error.js";
import type { PublishedEntry } from "./adapter.js";

/** The version of the tick format this module writes and reads. */
export const TICK_FORMAT_VERSION = 1;

/** What {@link decodeTick} needs besides the event registry. */
export interface DecodeTickOptions {
  /** Error classes to revive failures as. @default the built-in and stepwise classes */
  readonly errors?: ErrorRegistry;
  /** The workflow's step names: a tick naming another step is refused (`unknownStep`). */
  readonly steps?: { has(name: string): boolean };
  /** The workflow's name, for messages. */
  readonly workflowName?: string;
  /** The run and entry index, for the error's fields and message. */
  readonly runId?: string;
  readonly entry?: number;
}

// --- writing -----------------------------------------------------------------------------------

/**
 * A tick as plain JSON.
 * @throws {@link JournalError} (`unserializable`) naming the field when an event or value in the
 * tick holds something a journal cannot carry (a function, a class instance, a cycle).
 */
export function encodeTick(tick: Tick): unknown {
  try {
    return encodeTickJson(tick);
  } catch (error) {
    throw journalError(error, { path: "" }, `The \`${tick.type}\` tick`);
  }
}

function encodeTickJson(tick: Tick): Record<string, unknown> {
  switch (tick.type) {
    case "start":
      return {
        type: tick.type,
        event: at("event", () => record(tick.event)),
        timeoutMs: tick.timeoutMs,
      };
    case "resume":
      return { type: tick.type, timeoutMs: tick.timeoutMs };
    case "addEvent": {
      const out: Record<string, unknown> = {
        type: tick.type,
        event: at("event", () => record(tick.event)),
        step: tick.step,
        recoveries: tick.recoveries && { ...tick.recoveries },
      };
      if (tick.scope !== undefined) out.scope = tick.scope && scope(tick.scope);
      return out;
    }
    case "stepResult":
      return {
        type: tick.type,
        step: tick.step,
        workerId: tick.workerId,
        outcome: at("outcome", () => outcome(tick.outcome)),
      };
    case "collect":
      return {
        type: tick.type,
        step: tick.step,
        workerId: tick.workerId,
        bufferId: tick.bufferId,
        event: at("event", () => record(tick.event)),
        expected: { ...tick.expected },
      };
    case "wait":
      return {
        type: tick.type,
        step: tick.step,
        workerId: tick.workerId,
        waiter: at("waiter", () => waiter(tick.waiter)),
        waiterEvent:
          tick.waiterEvent && at("waiterEvent", () => record(tick.waiterEvent as EventRecord)),
      };
    case "timer":
      return { type: tick.type, id: tick.id };
    case "cancel":
      return { type: tick.type };
    case "fault":
      return { type: tick.type, step: tick.step, error: errorInfo(tick.error) };
    case "crash":
      return { type: tick.type, error: errorInfo(tick.error) };
    case "write":
      return tick.key === undefined
        ? { type: tick.type, event: at("event", () => encodeValue(tick.event)) }
        : { type: tick.type, event: at("event", () => encodeValue(tick.event)), key: tick.key };
    case "store":
      return { type: tick.type, data: at("data", () => encodeValue(tick.data)) };
    case "annotate":
      return { type: tick.type, key: tick.key, value: tick.value };
    case "idleCheck":
      return { type: tick.type };
    default:
      return assertNever(tick);
  }
}

function assertNever(tick: never): never {
  throw new JournalError(
    "unserializable",
    `The tick codec has no form for tick \`${safeText((tick as { type?: unknown }).type)}\`.`,
  );
}

/** Runs `write`, adding `segment` to the path of a codec error it throws. */
function at<T>(segment: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    throw prefixed(error, segment);
  }
}

function record(event: EventRecord): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    role: event.role,
    value: at("value", () => encodeValue(event.value)),
  };
}

function scope(entries: Scope): unknown[] {
  return entries.map((entry) => ({ stream: entry.stream, index: entry.index }));
}

function outcome(result: StepOutcome): Record<string, unknown> {
  switch (result.kind) {
    case "event":
      return { kind: result.kind, event: at("event", () => record(result.event)) };
    case "events":
      return {
        kind: result.kind,
        events: result.events.map((event, i) => at(`events[${i}]`, () => record(event))),
      };
    case "none":
      return { kind: result.kind };
    case "failed":
      return {
        kind: result.kind,
        error: errorInfo(result.error),
        retryDelayMs: result.retryDelayMs,
      };
  }
}

function waiter(spec: WaiterSpec): Record<string, unknown> {
  return {
    id: spec.id,
    eventType: spec.eventType,
    requirements: spec.requirements && at("requirements", () => encodeValue(spec.requirements)),
    timeoutMs: spec.timeoutMs,
  };
}

/** An error as data; never throws (what cannot be written of the error is left out). */
function errorInfo(info: ErrorInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { name: info.name, message: info.message };
  const value = info.value;
  if (value instanceof Error) out.failure = encodeFailure(value, encodeValue);
  else if (value !== undefined) {
    try {
      out.value = encodeValue(value);
    } catch {
      out.value = safeText(value);
    }
  }
  return out;
}

/** An entry of a run's log as plain JSON: `{ seq, internal, event: { type, data } }`. */
export function encodePublished(entry: PublishedEntry): unknown {
  try {
    return { seq: entry.seq, internal: entry.internal, event: encodeEvent(entry.event) };
  } catch (error) {
    throw journalError(prefixed(error, "event"), { path: "" }, "published event");
  }
}

// --- the format --------------------------------------------------------------------------------

const MAX_COUNT = 2 ** 52;
const count = z.number().int().min(0).max(MAX_COUNT);
const name = z.string().min(1);
const ms = z.number().min(0).max(8.64e15);
const role = z.enum(["start", "stop", "inputRequired", "humanResponse", "stepFailed", "event"]);

const eventJson = z.object({
  $stepwise: z.literal("event"),
  type: name,
  data: z.record(z.string(), z.unknown()),
});
const recordJson = z.object({ id: count.min(1), type: name, role, value: eventJson });
const recoveriesJson = z.record(name, count).nullable();
const scopeJson = z.array(z.object({ stream: name, index: count }));
const errorInfoJson = z.object({
  name: z.string(),
  message: z.string(),
  failure: z.unknown().optional(),
  value: z.unknown().optional(),
});
const outcomeJson = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("event"), event: recordJson }),
  z.object({ kind: z.literal("events"), events: z.array(recordJson) }),
  z.object({ kind: z.literal("none") }),
  z.object({
    kind: z.literal("failed"),
    error: errorInfoJson,
    retryDelayMs: ms.nullable(),
  }),
]);
const tickJson = z.discriminatedUnion("type", [
  z.object({ type: z.literal("start"), event: recordJson, timeoutMs: ms.nullable() }),
  z.object({ type: z.literal("resume"), timeoutMs: ms.nullable() }),
  z.object({
    type: z.literal("addEvent"),
    event: recordJson,
    step: name.nullable(),
    recoveries: recoveriesJson,
    scope: scopeJson.nullable().optional(),
  }),
  z.object({ type: z.literal("stepResult"), step: name, workerId: count, outcome: outcomeJson }),
  z.object({
    type: z.literal("collect"),
    step: name,
    // -1: a `collectEvents` call from outside a worker (the reducer reads no worker then).
    workerId: z.number().int().min(-1).max(MAX_COUNT),
    bufferId: z.string(),
    event: recordJson,
    expected: z.record(name, count),
  }),
  z.object({
    type: z.literal("wait"),
    step: name,
    workerId: count,
    waiter: z.object({
      id: name,
      eventType: name,
      requirements: z.unknown().nullable(),
      timeoutMs: ms.nullable(),
    }),
    waiterEvent: recordJson.nullable(),
  }),
  z.object({ type: z.literal("timer"), id: name }),
  z.object({ type: z.literal("cancel") }),
  z.object({ type: z.literal("fault"), step: name, error: errorInfoJson }),
  z.object({ type: z.literal("crash"), error: errorInfoJson }),
  z.object({ type: z.literal("write"), event: z.unknown(), key: z.string().optional() }),
  z.object({ type: z.literal("store"), data: z.unknown() }),
  z.object({ type: z.literal("annotate"), key: z.string(), value: z.string() }),
  z.object({ type: z.literal("idleCheck") }),
]);
const publishedJson = z.object({
  seq: count,
  internal: z.boolean(),
  event: z.object({ type: name, data: z.record(z.string(), z.unknown()) }),
});

type TickJson = z.infer<typeof tickJson>;
type RecordJson = z.infer<typeof recordJson>;

/** Fails to compile when a kind of `Tick` has no schema here, or the other way round. */
type SameKinds<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const ticksCovered: SameKinds<TickJson["type"], Tick["type"]> = true;
void ticksCovered;

const TICK_TYPES = tickJson.options.map((option) => option.shape.type.value);

// --- reading -----------------------------------------------------------------------------------

/**
 * Revives a tick written by {@link encodeTick}, its events through `registry` (the workflow's:
 * `workflowSpec(wf).registry`).
 * @throws {@link JournalError} `malformed` (the shape, with the path of the field),
 * `unknownEventType`, `invalidEvent`, `inconsistent` (a record whose type or role is not its
 * event's), or `unknownStep` (a step `options.steps` lacks).
 */
export function decodeTick(
  json: unknown,
  registry: EventRegistry,
  options: DecodeTickOptions = {},
): Tick {
  const where = { runId: options.runId, entry: options.entry };
  const type = isObject(json) && typeof json.type === "string" ? json.type : null;
  if (type !== null && !TICK_TYPES.includes(type as never)) {
    throw new JournalError(
      "malformed",
      `${entryName(options)} is a \`${type}\` tick, which this version of stepwise does not know (it knows ${TICK_TYPES.join(", ")}); it was written by a newer stepwise, or edited.`,
      { ...where, path: "type" },
    );
  }
  const parsed = tickJson.safeParse(json);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.error, "not a tick");
    throw new JournalError(
      "malformed",
      `${entryName(options)} is malformed at \`${path || "(root)"}\`: ${message}. Journals are read exactly as stepwise wrote them.`,
      { ...where, path },
    );
  }
  const reader = new TickReader(registry, options);
  try {
    return reader.tick(parsed.data);
  } catch (error) {
    throw journalError(error, where, entryName(options));
  }
}

/** The first problem zod found, as a path in the JSON and its message. */
function firstIssue(
  error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] },
  otherwise: string,
): { path: string; message: string } {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).reduce<string>(
    (text, segment) => appendPath(text, segment as string | number),
    "",
  );
  return { path, message: issue?.message ?? otherwise };
}

/**
 * Revives an entry of a run's log written by {@link encodePublished}.
 * @throws {@link JournalError} like {@link decodeTick}.
 */
export function decodePublished(
  json: unknown,
  registry: EventRegistry,
  options: Pick<DecodeTickOptions, "runId"> = {},
): PublishedEntry {
  const parsed = publishedJson.safeParse(json);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.error, "not an entry");
    throw new JournalError(
      "malformed",
      `A published event${options.runId ? ` of run \`${options.runId}\`` : ""} is malformed at \`${path || "(root)"}\`: ${message}.`,
      { ...(options.runId ? { runId: options.runId } : {}), path },
    );
  }
  const entry = parsed.data;
  try {
    const event = decodeEvent(entry.event, registry, (json) => standInEvent(json, registry));
    return { seq: entry.seq, event, internal: entry.internal };
  } catch (error) {
    throw journalError(
      prefixed(error, "event"),
      { runId: options.runId },
      `Published event ${entry.seq}`,
    );
  }
}

function entryName(options: DecodeTickOptions): string {
  const parts: string[] = [];
  if (options.entry !== undefined) parts.push(`entry ${options.entry}`);
  if (options.runId !== undefined) parts.push(`of run \`${options.runId}\``);
  return parts.length > 0 ? `Journal ${parts.join(" ")}` : "The tick";
}

class TickReader {
  readonly #registry: EventRegistry;
  readonly #errors: ErrorRegistry;
  readonly #options: DecodeTickOptions;

  constructor(registry: EventRegistry, options: DecodeTickOptions) {
    this.#registry = registry;
    this.#errors = options.errors ?? defaultErrorRegistry;
    this.#options = options;
  }

  tick(json: TickJson): Tick {
    switch (json.type) {
      case "start":
        return {
          type: "start",
          event: this.#record(json.event, "event"),
          timeoutMs: json.timeoutMs,
        };
      case "resume":
        return { type: "resume", timeoutMs: json.timeoutMs };
      case "addEvent": {
        if (json.step !== null) this.#step(json.step, "step");
        const tick = {
          type: "addEvent" as const,
          event: this.#record(json.event, "event"),
          step: json.step,
          recoveries: this.#recoveries(json.recoveries, "recoveries"),
        };
        if (json.scope === undefined) return tick;
        return {
          ...tick,
          scope:
            json.scope === null
              ? null
              : json.scope.map((e) => ({ stream: e.stream, index: e.index })),
        };
      }
      case "stepResult":
        this.#step(json.step, "step");
        return {
          type: "stepResult",
          step: json.step,
          workerId: json.workerId,
          outcome: this.#outcome(json.outcome),
        };
      case "collect":
        this.#step(json.step, "step");
        return {
          type: "collect",
          step: json.step,
          workerId: json.workerId,
          bufferId: json.bufferId,
          event: this.#record(json.event, "event"),
          expected: { ...json.expected },
        };
      case "wait": {
        this.#step(json.step, "step");
        const requirements =
          json.waiter.requirements === null
            ? null
            : this.#value(json.waiter.requirements, "waiter.requirements");
        if (requirements !== null && !isObject(requirements)) {
          throw located(
            `waiter.requirements`,
            `is ${describeValue(requirements)}, not an object of fields`,
          );
        }
        return {
          type: "wait",
          step: json.step,
          workerId: json.workerId,
          waiter: {
            id: json.waiter.id,
            eventType: json.waiter.eventType,
            requirements,
            timeoutMs: json.waiter.timeoutMs,
          },
          waiterEvent: json.waiterEvent && this.#record(json.waiterEvent, "waiterEvent"),
        };
      }
      case "timer":
        return { type: "timer", id: json.id };
      case "cancel":
        return { type: "cancel" };
      case "fault":
        this.#step(json.step, "step");
        return { type: "fault", step: json.step, error: this.#errorInfo(json.error, "error") };
      case "crash":
        return { type: "crash", error: this.#errorInfo(json.error, "error") };
      case "write": {
        const event = this.#value(json.event, "event", this.#standIn);
        return json.key === undefined
          ? { type: "write", event }
          : { type: "write", event, key: json.key };
      }
      case "store":
        return { type: "store", data: this.#value(json.data, "data") };
      case "annotate":
        return { type: "annotate", key: json.key, value: json.value };
      case "idleCheck":
        return { type: "idleCheck" };
    }
  }

  #step(step: string, path: string): void {
    const steps = this.#options.steps;
    if (!steps || steps.has(step)) return;
    const workflow = this.#options.workflowName ? ` \`${this.#options.workflowName}\`` : "";
    throw new JournalError(
      "unknownStep",
      `${entryName(this.#options)} names step \`${step}\`, which workflow${workflow} no longer has. Finish or abandon the run with the version of the workflow that started it, or keep the step.`,
      { runId: this.#options.runId, entry: this.#options.entry, path, step },
    );
  }

  #record(json: RecordJson, path: string): EventRecord {
    if (json.value.type !== json.type) {
      throw inconsistent(
        `${path}.value.type`,
        `the record is of type \`${json.type}\` but holds a \`${json.value.type}\``,
        json.type,
      );
    }
    const cls = this.#registry.get(json.type);
    if (cls && eventRole(cls) !== json.role) {
      throw inconsistent(
        `${path}.role`,
        `\`${json.type}\` events have role \`${eventRole(cls)}\`, not \`${json.role}\``,
        json.type,
      );
    }
    let value: unknown;
    try {
      value = decodeEvent({ type: json.type, data: json.value.data }, this.#registry);
    } catch (error) {
      throw prefixed(error, `${path}.value.data`);
    }
    return { id: json.id, type: json.type, role: json.role as EventRole, value };
  }

  #recoveries(json: Record<string, number> | null, path: string): Recoveries | null {
    if (json === null) return null;
    for (const handler of Object.keys(json)) this.#step(handler, appendPath(path, handler));
    return { ...json };
  }

  #outcome(json: z.infer<typeof outcomeJson>): StepOutcome {
    switch (json.kind) {
      case "event":
        return { kind: "event", event: this.#record(json.event, "outcome.event") };
      case "events":
        return {
          kind: "events",
          events: json.events.map((event, i) => this.#record(event, `outcome.events[${i}]`)),
        };
      case "none":
        return { kind: "none" };
      case "failed":
        return {
          kind: "failed",
          error: this.#errorInfo(json.error, "outcome.error"),
          retryDelayMs: json.retryDelayMs,
        };
    }
  }

  #errorInfo(json: z.infer<typeof errorInfoJson>, path: string): ErrorInfo {
    if (json.failure !== undefined) {
      let value: Error;
      try {
        value = decodeFailure(json.failure, (v) => decodeValue(v, this.#registry), this.#errors);
      } catch (error) {
        throw prefixed(error, `${path}.failure`);
      }
      return { name: json.name, message: json.message, value };
    }
    if (json.value !== undefined) {
      return {
        name: json.name,
        message: json.message,
        value: this.#value(json.value, `${path}.value`),
      };
    }
    return { name: json.name, message: json.message };
  }

  readonly #standIn = (json: EventJSON) => standInEvent(json, this.#registry);

  #value(json: unknown, path: string, onUnknown?: (json: EventJSON) => unknown): unknown {
    try {
      return decodeValue(json, this.#registry, onUnknown);
    } catch (error) {
      throw prefixed(error, path);
    }
  }
}

// --- stand-ins ---------------------------------------------------------------------------------

/** Stand-in classes by `eventType`, for stream events of classes the workflow does not declare. */
const standIns = new Map<string, EventClass>();

/** An event of a stand-in class for `json.type`, with the fields of `json`. */
function standInEvent(json: EventJSON, registry: EventRegistry): Event {
  let cls = standIns.get(json.type);
  if (!cls) {
    const type = json.type;
    cls = class extends Event {
      static override get eventType(): string {
        return type;
      }
    };
    Object.defineProperty(cls, "name", { value: type });
    standIns.set(type, cls);
  }
  const fields = decodeValue(json.data ?? {}, registry);
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
    throw located("data", `is ${describeValue(fields)}, not an object of fields`);
  }
  return createEventUnchecked(cls, fields as Record<string, unknown>);
}

// --- errors ------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A problem found while reading, with its path; becomes a {@link JournalError} at the top. */
class TickProblem {
  constructor(
    readonly code: "malformed" | "inconsistent",
    readonly path: string,
    readonly reason: string,
    readonly eventType?: string,
  ) {}
}

function located(path: string, reason: string): TickProblem {
  return new TickProblem("malformed", path, reason);
}

function inconsistent(path: string, reason: string, eventType: string): TickProblem {
  return new TickProblem("inconsistent", path, reason, eventType);
}

/** A codec error with `segment` put in front of its path. */
function prefixed(error: unknown, segment: string): unknown {
  const join = (inner: string | null) =>
    !inner ? segment : inner.startsWith("[") ? segment + inner : `${segment}.${inner}`;
  if (error instanceof SnapshotError) {
    return new SnapshotError(error.code, error.message, {
      path: join(error.path),
      ...(error.eventType ? { eventType: error.eventType } : {}),
      cause: error.cause ?? error,
    });
  }
  if (error instanceof TickProblem) {
    return new TickProblem(error.code, join(error.path), error.reason, error.eventType);
  }
  return error;
}

const SNAPSHOT_CODES = new Set(["malformed", "unknownEventType", "invalidEvent", "unserializable"]);

/** A codec problem as a {@link JournalError}; a `JournalError` passes unchanged. */
function journalError(
  error: unknown,
  where: { runId?: string | undefined; entry?: number | undefined; path?: string },
  subject: string,
): unknown {
  const details = {
    ...(where.runId !== undefined ? { runId: where.runId } : {}),
    ...(where.entry !== undefined ? { entry: where.entry } : {}),
  };
  if (error instanceof TickProblem) {
    return new JournalError(
      error.code,
      `${subject} does not hold together at \`${error.path}\`: ${error.reason}. stepwise never writes this; read the journal as it was written.`,
      { ...details, path: error.path, ...(error.eventType ? { eventType: error.eventType } : {}) },
    );
  }
  if (error instanceof SnapshotError) {
    const code = (SNAPSHOT_CODES.has(error.code) ? error.code : "malformed") as JournalErrorCode;
    const path = error.path ?? "";
    const fix =
      code === "unknownEventType"
        ? " Declare the event class in the workflow (a step's `accepts` or `emits`) so that its runs can be read back."
        : "";
    return new JournalError(
      code,
      `${subject}, at \`${path || "(root)"}\`: ${error.message}${fix}`,
      {
        ...details,
        path,
        ...(error.eventType ? { eventType: error.eventType } : {}),
        cause: error,
      },
    );
  }
  return error;
}

/**
 * Runs an encoder for a journal entry, naming the run (and the entry) in the `JournalError` it
 * throws, for a runtime's journal writes.
 */
export function encodeForRun(encode: () => unknown, runId: string, entry?: number): unknown {
  try {
    return encode();
  } catch (error) {
    throw errorForRun(error, runId, entry);
  }
}

/**
 * What an encoder threw, as {@link encodeForRun} throws it: a `JournalError` reworded to name
 * the run (and the entry), anything else unchanged. For a writer that catches the encoder's
 * error itself.
 */
export function errorForRun(error: unknown, runId: string, entry?: number): unknown {
  if (!(error instanceof JournalError)) return error;
  return new JournalError(error.code, `Run \`${runId}\` cannot be journaled: ${error.message}`, {
    runId,
    ...(entry !== undefined ? { entry } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(error.eventType ? { eventType: error.eventType } : {}),
    cause: error,
  });
}
