/**
 * Events carry data between steps. `Event.define(shape)` makes a class whose constructor
 * validates its fields with zod; instances are frozen. Routing is by exact class.
 */
import { z } from "zod";
import { EventValidationError } from "./errors.js";
import { keepShape } from "./internal/shapes.js";
import { EVENT_DYNAMIC, EVENT_PLAIN_FIELDS, EVENT_ROLE, EVENT_SCHEMA } from "./internal/symbols.js";
import { assertZod4Shape } from "./internal/zod-version.js";

/** The JSON form of an event: its `eventType` and its fields. */
export interface EventJSON {
  type: string;
  data: Record<string, unknown>;
}

/** The role an event class plays in routing; cached on the class. */
export type EventRole =
  | "start"
  | "stop"
  | "inputRequired"
  | "humanResponse"
  | "stepFailed"
  | "event";

/** Field names that would shadow an event's own API. */
const RESERVED_FIELDS = new Set([
  "get",
  "toJSON",
  "then",
  "toString",
  "valueOf",
  "constructor",
  "__proto__",
  "prototype",
]);

type AnyObjectSchema = z.ZodObject<z.ZodRawShape>;

/** A field a `typeof` check decides exactly as zod would: its name and the type it must have. */
type PlainField = readonly [name: string, type: "string" | "number" | "boolean"];

interface EventStatics {
  [EVENT_SCHEMA]?: AnyObjectSchema;
  [EVENT_PLAIN_FIELDS]?: readonly PlainField[] | null;
  [EVENT_DYNAMIC]?: boolean;
  [EVENT_ROLE]?: EventRole;
  readonly eventType: string;
  readonly name: string;
}

/** Any event class, as `accepts`/`emits` and the codec see it. */
export type EventClass<T extends Event = Event> = (abstract new (
  ...args: any[]
) => T) & {
  readonly eventType: string;
};

/** Turns an `accepts`/`emits` option (a class or an array of classes) into its instance union. */
export type InstanceOfEvents<T> = T extends readonly (infer C)[]
  ? C extends abstract new (
      ...args: any[]
    ) => infer I
    ? I
    : never
  : T extends abstract new (
        ...args: any[]
      ) => infer I
    ? I
    : never;

type FieldsArg<S extends z.ZodRawShape> =
  {} extends z.input<z.ZodObject<S>>
    ? [fields?: z.input<z.ZodObject<S>>]
    : [fields: z.input<z.ZodObject<S>>];

/** `T` without index signatures, and without `Event`'s methods (mapping would fix their `this`). */
type RemoveIndex<T> = {
  [K in keyof T as string extends K
    ? never
    : number extends K
      ? never
      : K extends keyof Event
        ? never
        : K]: T[K];
};

/** The parent's instance type, minus `StartEvent`'s "any field" index signature. */
type ParentInstance<TBase extends abstract new (...args: any) => any> =
  string extends keyof InstanceType<TBase>
    ? Event & RemoveIndex<InstanceType<TBase>>
    : InstanceType<TBase>;

/** Type-only key under which a defined event class's type records its fields' zod shape. */
declare const fieldsShape: unique symbol;

/** The zod shape a parent class declared with `define` (empty for `Event` itself). */
type ParentShape<TBase> = TBase extends { readonly [fieldsShape]?: infer P extends z.ZodRawShape }
  ? P
  : {};

/** Type-only key under which `StartEvent` and `StopEvent` record their role on the class's type. */
declare const roleBrand: unique symbol;

/**
 * `"start"` for `StartEvent` and its subclasses, `"stop"` for `StopEvent` and its subclasses,
 * else `"event"`: the role an event class plays in a workflow, read from its type.
 */
export type EventClassRole<C> = C extends { readonly [roleBrand]: infer R } ? R : "event";

/**
 * `true` when `C` is `StopEvent` itself, whose runs resolve to the stop event's `result`; `false`
 * for a class made with `StopEvent.define(...)`, whose runs resolve to the event. A subclass
 * that adds nothing (`class Done extends StopEvent {}`) looks like `StopEvent` to the type system.
 */
export type IsBaseStopEvent<C> = typeof fieldsShape extends keyof C
  ? false
  : typeof StopEvent extends C
    ? true
    : false;

type DeclaredFieldName<T> = Exclude<keyof T, keyof Event | symbol | number>;

/**
 * The field names `ev.get` takes for an event type: its declared fields (offered first), or any
 * other string, since start and stop events may carry undeclared fields.
 */
export type EventFieldName<T> = DeclaredFieldName<T> | (string & {});

/** The type of field `K` of an event type: `unknown` for a field the type does not declare. */
export type EventFieldValue<T, K> = K extends DeclaredFieldName<T> ? T[K] : unknown;

/** The class `Event.define(shape)` returns: the parent's statics plus a typed constructor. */
export type DefinedEvent<
  TBase extends abstract new (
    ...args: any
  ) => any,
  S extends z.ZodRawShape,
> = {
  new (
    ...args: FieldsArg<ParentShape<TBase> & S>
  ): ParentInstance<TBase> & Readonly<z.output<z.ZodObject<ParentShape<TBase> & S>>>;
  readonly [fieldsShape]?: ParentShape<TBase> & S;
} & Omit<TBase, "prototype">;

function checkFieldNames(owner: string, names: Iterable<string>): void {
  for (const name of names) {
    if (RESERVED_FIELDS.has(name)) {
      throw new EventValidationError("reservedField", {
        eventType: owner,
        issues: [{ path: [name], message: "reserved name" }],
        field: name,
      });
    }
  }
}

function defineField(target: object, key: string, value: unknown): void {
  // Plain assignment (fast); the object is frozen right after, which makes the field read-only.
  (target as Record<string, unknown>)[key] = value;
}

/**
 * Base class of every event. Extend `Event.define({ ...zod shape })` to declare typed,
 * validated fields:
 *
 * @example
 * class JokeEvent extends Event.define({ joke: z.string() }) {}
 * new JokeEvent({ joke: "..." }).joke;
 */
export class Event {
  /** The name of this class in JSON snapshots and streams. Defaults to the class name. */
  static get eventType(): string {
    return this.name;
  }

  /**
   * Makes a subclass whose constructor validates `shape` with zod and assigns the parsed fields.
   * @throws {@link EventValidationError} when a field name is reserved (`get`, `toJSON`, ...).
   */
  static define<TBase extends abstract new (...args: any) => any, S extends z.ZodRawShape>(
    this: TBase,
    shape: S,
  ): DefinedEvent<TBase, S> {
    const parent = this as unknown as EventStatics & (new (...args: any[]) => Event);
    assertZod4Shape(parent.name || "Event", shape);
    checkFieldNames(parent.name || "Event", Object.keys(shape));
    const parentSchema = parent[EVENT_SCHEMA];
    const schema = parentSchema ? parentSchema.extend(shape) : z.object(shape);
    const defined = class extends parent {};
    Object.defineProperty(defined, EVENT_SCHEMA, { value: schema, configurable: true });
    Object.defineProperty(defined, EVENT_PLAIN_FIELDS, {
      value: plainFields(schema),
      configurable: true,
    });
    return defined as unknown as DefinedEvent<TBase, S>;
  }

  /** The zod schema of this class's declared fields, or `undefined` when it declares none. */
  static get schema(): AnyObjectSchema | undefined {
    return (this as unknown as EventStatics)[EVENT_SCHEMA];
  }

  constructor(fields?: Record<string, unknown>) {
    const cls = new.target as unknown as EventStatics;
    const schema = cls[EVENT_SCHEMA];
    const input = fields ?? {};
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new EventValidationError("notAnObject", {
        eventType: cls.eventType,
        issues: [
          { path: [], message: `expected an object of fields, got ${describeValue(input)}` },
        ],
        received: describeValue(input),
      });
    }
    const plain = cls[EVENT_PLAIN_FIELDS];
    if (schema && sampling) {
      for (const key in schema.shape) defineField(this, key, null);
    } else if (schema && plain && isPlain(input as Record<string, unknown>, plain)) {
      // Every field is a plain string, number or boolean and the input has the right types:
      // what zod would return, without a parse (the engine's hot path builds many events).
      for (const field of plain) {
        defineField(this, field[0], (input as Record<string, unknown>)[field[0]]);
      }
    } else if (schema) {
      const parsed = schema.safeParse(input);
      if (!parsed.success) {
        throw new EventValidationError("invalidFields", {
          eventType: cls.eventType,
          issues: parsed.error.issues.map((issue) => ({
            path: issue.path,
            message: `${issue.message}${receivedSuffix(input, issue.path)}`,
            code: issue.code,
          })),
        });
      }
      for (const key in parsed.data) defineField(this, key, parsed.data[key]);
    }
    if (cls[EVENT_DYNAMIC]) {
      for (const key in input) {
        if (schema && key in schema.shape) continue;
        checkFieldNames(cls.eventType, [key]);
        defineField(this, key, (input as Record<string, unknown>)[key]);
      }
    }
    Object.freeze(this);
  }

  /**
   * Reads a field, or `defaultValue` when the event has no such field (or it is `undefined`).
   * Typed by the event's fields: `ev.get("joke")` is a `string` on a `JokeEvent`.
   */
  get<K extends EventFieldName<this>>(key: K): EventFieldValue<this, K>;
  get<K extends EventFieldName<this>, D>(
    key: K,
    defaultValue: D,
  ): Exclude<EventFieldValue<this, K>, undefined> | D;
  get(key: string, defaultValue?: unknown): unknown {
    const value = Object.hasOwn(this, key) ? (this as Record<string, unknown>)[key] : undefined;
    return value === undefined ? defaultValue : value;
  }

  /**
   * `{ type, data }`: the event's type name and its fields. An `Error` field becomes
   * `{ name, message }` (`JSON.stringify` would otherwise write `{}`).
   */
  toJSON(): EventJSON {
    const data: Record<string, unknown> = {};
    for (const key of Object.keys(this)) {
      const value = (this as Record<string, unknown>)[key];
      data[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
    }
    return { type: (this.constructor as unknown as EventStatics).eventType, data };
  }
}

/**
 * The fields of `schema` as `[name, type]` when a `typeof` check decides them exactly as zod
 * does: a `z.object` in zod's default mode (unknown keys dropped, no object-level checks), each
 * field a `z.string()`, `z.number()` (finite) or `z.boolean()` with no checks, format or
 * coercion. Null for any other schema: its events are parsed by zod.
 */
function plainFields(schema: AnyObjectSchema): readonly PlainField[] | null {
  if (!hasOnlyKeys(schema._zod.def, ["type", "shape"])) return null;
  const fields: PlainField[] = [];
  for (const [name, field] of Object.entries(schema.shape)) {
    const def = (field as z.ZodType)._zod.def as { type: string; checks?: readonly unknown[] };
    if (def.type !== "string" && def.type !== "number" && def.type !== "boolean") return null;
    if (!hasOnlyKeys(def, ["type", "checks"]) || (def.checks?.length ?? 0) > 0) return null;
    fields.push([name, def.type]);
  }
  return fields;
}

function hasOnlyKeys(def: object, allowed: readonly string[]): boolean {
  return Object.keys(def).every((key) => allowed.includes(key));
}

/** Whether every plain field of `input` has its type (numbers finite, as zod requires). */
function isPlain(input: Record<string, unknown>, fields: readonly PlainField[]): boolean {
  for (const [name, type] of fields) {
    const value = input[name];
    if (typeof value !== type) return false;
    if (type === "number" && !Number.isFinite(value)) return false;
  }
  return true;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function receivedSuffix(input: object, path: readonly PropertyKey[]): string {
  let value: unknown = input;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return "";
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value === undefined ? " (missing)" : ` (received ${describeValue(value)})`;
}

let sampling = false;

/**
 * @internal An event of `cls` with every declared field null, made by `Event`'s constructor
 * alone (no validation, no subclass constructor, no user code): it has the shape a validated
 * event of the class has, without any run's data. The runner keeps one per class seen (see
 * internal/shapes.ts); null when the class cannot be made so.
 */
export function sampleEvent(cls: EventClass): Event | null {
  sampling = true;
  try {
    return Reflect.construct(Event, [], cls) as Event;
  } catch {
    return null;
  } finally {
    sampling = false;
  }
}

/**
 * Makes an event without validating its fields: for the engine's own events, whose fields it
 * builds itself. Never used on user input.
 */
export function createEventUnchecked<T extends Event>(
  cls: EventClass<T>,
  fields: Record<string, unknown>,
): T {
  const event = Object.create(cls.prototype) as T;
  for (const key in fields) defineField(event, key, fields[key]);
  return Object.freeze(event);
}

/** Returns the routing role of an event class (cached on the class). */
export function eventRole(cls: EventClass): EventRole {
  const statics = cls as unknown as EventStatics;
  if (Object.hasOwn(cls, EVENT_ROLE)) return statics[EVENT_ROLE] as EventRole;
  let role: EventRole = "event";
  const proto = cls.prototype as object;
  if (proto instanceof StartEvent || cls === StartEvent) role = "start";
  else if (proto instanceof StopEvent || cls === StopEvent) role = "stop";
  else if (proto instanceof InputRequiredEvent || cls === InputRequiredEvent)
    role = "inputRequired";
  else if (proto instanceof HumanResponseEvent || cls === HumanResponseEvent)
    role = "humanResponse";
  else if (cls === StepFailedEvent) role = "stepFailed";
  Object.defineProperty(cls, EVENT_ROLE, { value: role, configurable: true });
  return role;
}

/**
 * The event a run begins with. `run({ topic })` makes `new StartEvent({ topic })`; any field is
 * readable as a property or with `get`. Extend `StartEvent.define(shape)` for a typed start.
 */
export class StartEvent extends Event {
  declare static readonly [roleBrand]: "start";
  readonly [key: string]: any;
  static {
    Object.defineProperty(StartEvent, EVENT_DYNAMIC, { value: true });
  }
}

/**
 * The event that ends a run. `new StopEvent({ result })`: `await handler` gives `result`.
 * A typed stop (`StopEvent.define(shape)`) is returned from `await handler` as the event itself.
 */
export class StopEvent<TResult = any> extends Event {
  declare static readonly [roleBrand]: "stop";
  declare readonly result: TResult;
  static {
    Object.defineProperty(StopEvent, EVENT_DYNAMIC, { value: true });
  }
  constructor(fields?: { result?: TResult; [key: string]: unknown }) {
    super(fields);
  }
}

// A start event with no fields (`run()`) and a stop event with a result outlive every run, so
// that their shapes do (see internal/shapes.ts).
keepShape(new StartEvent());
keepShape(new StopEvent({ result: null }));

/** Base for events that ask a person (or another system) for input; published to the stream. */
export class InputRequiredEvent extends Event {}

/** Base for the answer to an {@link InputRequiredEvent}; may arrive with no step producing it. */
export class HumanResponseEvent extends Event {}

/** The run stopped because it took longer than the workflow's timeout. */
export class WorkflowTimedOutEvent extends StopEvent.define({
  timeout: z.number().nullable(),
  activeSteps: z.array(z.string()),
}) {}

/** The run stopped because it was cancelled. */
export class WorkflowCancelledEvent extends StopEvent.define({}) {}

/** The run stopped because a step failed and nothing recovered. */
export class WorkflowFailedEvent extends StopEvent.define({
  stepName: z.string(),
  error: z.instanceof(Error),
  attempts: z.number(),
  elapsedSeconds: z.number(),
}) {}

/** Given to a `@catchError` handler after a step's retries are spent. */
export class StepFailedEvent extends Event.define({
  stepName: z.string(),
  inputEvent: z.instanceof(Event),
  error: z.instanceof(Error),
  attempts: z.number(),
  elapsedSeconds: z.number(),
  failedAt: z.date(),
}) {}

/** Internal: a step worker changed state (streamed with `includeInternal`). */
export class StepStateChanged extends Event.define({
  name: z.string(),
  stepState: z.enum(["preparing", "running", "notRunning"]),
  workerId: z.union([z.number(), z.literal("<enqueued>")]),
  inputEventName: z.string(),
  outputEventName: z.string().nullable(),
}) {}

/** Internal: nothing can move until an event arrives from outside. */
export class WorkflowIdleEvent extends Event.define({}) {}

/** Internal: an event reached no step. */
export class UnhandledEvent extends Event.define({
  eventType: z.string(),
  stepName: z.string().nullable(),
  idle: z.boolean(),
}) {}

/** Events the engine itself defines; always known to the codec. */
export const BUILT_IN_EVENTS: readonly EventClass[] = [
  Event,
  StartEvent,
  StopEvent,
  InputRequiredEvent,
  HumanResponseEvent,
  WorkflowTimedOutEvent,
  WorkflowCancelledEvent,
  WorkflowFailedEvent,
  StepFailedEvent,
  StepStateChanged,
  WorkflowIdleEvent,
  UnhandledEvent,
];
