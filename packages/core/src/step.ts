/**
 * `@step` and `@catchError`: method decorators that declare a workflow's steps. They work as
 * TC39 standard decorators and under `experimentalDecorators: true`, and their types reject a
 * method whose parameter or return type disagrees with `accepts`/`emits`.
 */
import type { Context } from "./context.js";
import { WorkflowRuntimeError } from "./errors.js";
import {
  type EventClass,
  type EventClassRole,
  type InstanceOfEvents,
  type IsBaseStopEvent,
  StepFailedEvent,
  type StopEvent,
} from "./events.js";
import type { RetryPolicy } from "./retry.js";
import {
  recordLegacy,
  recordStandard,
  type StepDeclaration,
  type StepGraphCheck,
} from "./step-registry.js";
import type { StepHost, WorkflowTypes } from "./workflow.js";

/** One event class or several. */
export type EventClasses = EventClass | readonly EventClass[];

/** The `collect` option of a step: every event of the fan-out, or the first `take`. */
export type CollectOption = true | { readonly take: number };

/**
 * Options of `@step` and `addStep`. `TFanOut`, `TCollect` and `TJoin` are the literal types of
 * `fanOut`, `collect` and `join`, which decide the step function's parameter and return types.
 */
export interface StepOptions<
  TAccepts extends EventClasses = EventClasses,
  TEmits extends EventClasses = never,
  TFanOut extends boolean | undefined = boolean | undefined,
  TCollect extends CollectOption | undefined = CollectOption | undefined,
  TJoin extends boolean | undefined = boolean | undefined,
> {
  /** The event class(es) the step receives. Routing is by exact class. */
  accepts: TAccepts;
  /** The event class(es) the step returns or sends with `ctx.sendEvent`; omit when it returns nothing. */
  emits?: TEmits;
  /**
   * How many invocations of this step may run at once in one run; more wait in a FIFO queue.
   * @default 4
   */
  numWorkers?: number;
  /** Retry policy for failed invocations (see `retryPolicy`). @default no retries */
  retry?: RetryPolicy;
  /** The step's name. @default the method name */
  name?: string;
  /** Graph checks this step opts out of. */
  skipGraphChecks?: readonly StepGraphCheck[];
  /** Also receive events whose class extends an accepted class. @default false (exact class) */
  acceptEventSubclasses?: boolean;
  /**
   * The step may return an array of events: they fan out as one collection, which a step with
   * `collect` receives back as one array once every branch has finished. @default false
   */
  fanOut?: TFanOut;
  /**
   * Fan-in: the step runs once per fan-out collection with the `accepts` events its branches
   * produced, as an array in fan-out order (`[]` when none did). `{ take: n }` runs it on the
   * n-th event with the first n. The step's first parameter is an array.
   */
  collect?: TCollect;
  /**
   * Join: the step runs once it holds one event of each `accepts` class, receiving them as a
   * tuple in `accepts` order. The step's first parameter is that tuple.
   */
  join?: TJoin;
}

/** Options of `@catchError`. */
export interface CatchErrorOptions<TEmits extends EventClasses = never> {
  /** The steps whose failures this handler receives. @default every step not claimed by another handler */
  forSteps?: readonly string[];
  /** How often one event lineage may be recovered by this handler. @default 1 */
  maxRecoveries?: number;
  /** The events the handler returns (a stop event, or an event that re-routes the work). */
  emits?: TEmits;
}

/** What a step's return type may be: one of the emitted events, or nothing. */
export type StepReturn<TEmits extends EventClasses> =
  | InstanceOfEvents<TEmits>
  | null
  | undefined
  | void;

/** Whether an option's literal type turns it on, leaves it off, or may do either. */
type OptionMode<T, TOn> = [T] extends [never]
  ? "off"
  : [T] extends [TOn]
    ? "on"
    : [T] extends [false | undefined]
      ? "off"
      : "either";

/** One instance per `accepts` class, in order: what a `join` step receives. */
type JoinTuple<TAcc> = TAcc extends readonly unknown[]
  ? { -readonly [K in keyof TAcc]: InstanceOfEvents<TAcc[K]> }
  : [InstanceOfEvents<TAcc>];

/**
 * The first parameter of a step: one of its `accepts` events; with `collect`, an array of them;
 * with `join: true`, a tuple of one event per `accepts` class in order.
 */
export type StepInput<
  TAcc extends EventClasses,
  TCollect extends CollectOption | undefined = undefined,
  TJoin extends boolean | undefined = undefined,
> =
  OptionMode<TCollect, CollectOption> extends "on"
    ? InstanceOfEvents<TAcc>[]
    :
        | (OptionMode<TCollect, CollectOption> extends "off" ? never : InstanceOfEvents<TAcc>[])
        | (OptionMode<TJoin, true> extends "off" ? never : JoinTuple<TAcc>)
        | (OptionMode<TJoin, true> extends "on" ? never : InstanceOfEvents<TAcc>);

/** What a step may return: one of its `emits` events or nothing; with `fanOut: true`, also an array of them. */
export type StepOutput<
  TEmits extends EventClasses,
  TFanOut extends boolean | undefined = undefined,
> =
  | StepReturn<TEmits>
  | (OptionMode<TFanOut, true> extends "off" ? never : readonly InstanceOfEvents<TEmits>[]);

type FirstParam<M> = M extends (ev: infer P, ...rest: any[]) => any ? P : never;

type ParamAccepts<M, TAcc> = M extends () => any
  ? true
  : [TAcc] extends [FirstParam<M>]
    ? true
    : false;

type ReturnEmits<M, TRet> = M extends (...args: any[]) => infer R
  ? [Awaited<R>] extends [TRet | null | undefined | void]
    ? true
    : false
  : false;

/** `unknown` when the method fits its options; otherwise an object whose key explains why not. */
export type StepMethodCheck<M, TAcc, TRet> =
  ParamAccepts<M, TAcc> extends true
    ? ReturnEmits<M, TRet> extends true
      ? unknown
      : {
          "@step: the method's return type must be one of the `emits` events (or an array of them with `fanOut: true`), null or void": never;
        }
    : {
        "@step: the method's first parameter must accept every `accepts` event (an array of them with `collect`, a tuple in `accepts` order with `join: true`)": never;
      };

/** The classes of an `accepts`/`emits` option whose role (see `EventClassRole`) is `TRole`. */
export type ClassesWithRole<T, TRole> = (T extends readonly (infer C)[] ? C : T) extends infer C
  ? C extends unknown
    ? EventClassRole<C> extends TRole
      ? C
      : never
    : never
  : never;

/** The fields `run()` takes to make a start event of class `C`. */
export type StartInputOf<C> = C extends abstract new (
  ...args: infer P
) => any
  ? P extends []
    ? {}
    : Exclude<P[0], undefined>
  : never;

type IsAny<T> = 0 extends 1 & T ? true : false;

type ArrayItems<T> = T extends readonly (infer I)[] ? I : T;

/** The `result` types of the `StopEvent`s a step returns (`any` when it returns none). */
type ReturnedResult<TReturned> = [Extract<ArrayItems<Awaited<TReturned>>, StopEvent<any>>] extends [
  never,
]
  ? any
  : Extract<ArrayItems<Awaited<TReturned>>, StopEvent<any>> extends { readonly result: infer R }
    ? R
    : never;

/**
 * What `await handler` gives when a run stops with stop event class `C`: the event itself, or
 * for `StopEvent` itself its `result` (typed by what the step returns: `TReturned`).
 */
export type RunResultOf<C, TReturned = unknown> = C extends unknown
  ? IsBaseStopEvent<C> extends true
    ? ReturnedResult<TReturned>
    : InstanceOfEvents<C>
  : never;

/** A workflow's start input type leaves `run()` open: any fields (the default, or `StartEvent`'s). */
export type IsOpenStartInput<T> = string extends keyof T ? true : false;

/** Start classes are looked at first, so that a step without one never depends on `TStart`. */
type StartFits<TStart, TAcc> = [ClassesWithRole<TAcc, "start">] extends [never]
  ? true
  : IsOpenStartInput<TStart> extends true
    ? true
    : [TStart] extends [StartInputOf<ClassesWithRole<TAcc, "start">>]
      ? true
      : false;

type ResultFits<TResult, TEmits, TReturned> = [ClassesWithRole<TEmits, "stop">] extends [never]
  ? true
  : IsAny<TResult> extends true
    ? true
    : [RunResultOf<ClassesWithRole<TEmits, "stop">, TReturned>] extends [TResult]
      ? true
      : false;

/**
 * `unknown` when a step's start and stop events agree with the class's declared
 * `Workflow<TStart, TResult>`; otherwise an object whose key explains why not. In a class that
 * is itself generic in `TStart` or `TResult` the check cannot be decided, and passes: these
 * conditionals have no `infer`, so TypeScript relates the context to a deferred one through the
 * branch that `any` would take.
 */
export type StepWorkflowCheck<This, TAcc, TEmits, M> = [WorkflowTypes<This>] extends [never]
  ? unknown
  : StartFits<WorkflowTypes<This>["start"], TAcc> extends false
    ? {
        "@step: the workflow's `TStart` (in `extends Workflow<TStart, TResult>`) must be the fields of the start event this step accepts": never;
      }
    : ResultFits<WorkflowTypes<This>["result"], TEmits, ReturnOf<M>> extends false
      ? {
          "@step: the stop event this step emits must give the workflow's `TResult` (in `extends Workflow<TStart, TResult>`): its `result` for `StopEvent`, else the event": never;
        }
      : unknown;

/** What the class's `TStart` must fit for a step accepting `TAcc`: `unknown` when anything does. */
type StartNeed<TAcc> = [ClassesWithRole<TAcc, "start">] extends [never]
  ? unknown
  : IsOpenStartInput<StartInputOf<ClassesWithRole<TAcc, "start">>> extends true
    ? unknown
    : StartInputOf<ClassesWithRole<TAcc, "start">>;

/** A function taking the result a step emitting `TEmits` may end the run with (`unknown`: none, or `any`). */
type ResultNeed<TEmits, TReturned> = [ClassesWithRole<TEmits, "stop">] extends [never]
  ? unknown
  : IsAny<RunResultOf<ClassesWithRole<TEmits, "stop">, TReturned>> extends true
    ? unknown
    : (result: RunResultOf<ClassesWithRole<TEmits, "stop">, TReturned>) => void;

type AnyMethod = (this: any, ev: any, ...rest: any[]) => any;

type ReturnOf<M> = M extends (...args: any[]) => infer R ? R : never;

/**
 * The decorator `@step(...)` returns: standard (TC39) and legacy signatures. `TAcc` is what the
 * method's first parameter must accept, `TRet` what it may return; `TAccClasses` and
 * `TEmitClasses` are the declared classes, checked against the class's `Workflow<TStart, TResult>`.
 * Each mode has two signatures: the first explains a mismatch; the second accepts a class that
 * is generic in `TStart` or `TResult` when their constraints fit (the first cannot decide it).
 */
export interface StepDecorator<TAcc, TRet, TAccClasses = never, TEmitClasses = never> {
  <This, M extends AnyMethod>(
    method: M,
    context: ClassMethodDecoratorContext<This, M> &
      StepMethodCheck<M, TAcc, TRet> &
      StepWorkflowCheck<This, TAccClasses, TEmitClasses, M>,
  ): void;
  <
    This extends StepHost<StartNeed<TAccClasses>, ResultNeed<TEmitClasses, ReturnOf<M>>>,
    M extends AnyMethod,
  >(
    method: M,
    context: ClassMethodDecoratorContext<This, M> & StepMethodCheck<M, TAcc, TRet>,
  ): void;
  <This, M extends AnyMethod>(
    prototype: This,
    name: string | symbol,
    descriptor: TypedPropertyDescriptor<M> &
      StepMethodCheck<M, TAcc, TRet> &
      StepWorkflowCheck<This, TAccClasses, TEmitClasses, M>,
  ): void;
  <
    This extends StepHost<StartNeed<TAccClasses>, ResultNeed<TEmitClasses, ReturnOf<M>>>,
    M extends AnyMethod,
  >(
    prototype: This,
    name: string | symbol,
    descriptor: TypedPropertyDescriptor<M> & StepMethodCheck<M, TAcc, TRet>,
  ): void;
}

const STEP_OPTION_NAMES = new Set([
  "accepts",
  "emits",
  "numWorkers",
  "retry",
  "name",
  "skipGraphChecks",
  "acceptEventSubclasses",
  "fanOut",
  "collect",
  "join",
]);
const CATCH_OPTION_NAMES = new Set(["forSteps", "maxRecoveries", "emits"]);

function toList(classes: EventClasses | undefined): readonly EventClass[] {
  if (classes === undefined) return [];
  return Array.isArray(classes) ? (classes as readonly EventClass[]) : [classes as EventClass];
}

/** Builds a step declaration from decorator or `addStep` options (checked later by the workflow). */
export function declareStep(
  defaultName: string,
  options: StepOptions<EventClasses, EventClasses> & {
    catchError?: CatchErrorOptions<EventClasses>;
  },
  fn: StepDeclaration["fn"],
): StepDeclaration {
  const given = (options ?? {}) as unknown as Record<string, unknown>;
  const unknownOptions = Object.keys(given).filter(
    (key) => !STEP_OPTION_NAMES.has(key) && key !== "catchError",
  );
  const catchError = options.catchError;
  if (catchError) {
    for (const key of Object.keys(catchError)) {
      if (!CATCH_OPTION_NAMES.has(key)) unknownOptions.push(`catchError.${key}`);
    }
  }
  return {
    name: options.name ?? defaultName,
    accepts: toList(options.accepts),
    emits: toList(options.emits),
    numWorkers: catchError ? 1 : (options.numWorkers ?? 4),
    retry: options.retry,
    catchError: catchError
      ? { forSteps: catchError.forSteps ?? null, maxRecoveries: catchError.maxRecoveries ?? 1 }
      : null,
    skipGraphChecks: options.skipGraphChecks ?? [],
    acceptEventSubclasses: options.acceptEventSubclasses ?? false,
    fanOut: options.fanOut ?? false,
    collect: options.collect ?? null,
    join: options.join ?? false,
    fn,
    unknownOptions,
  };
}

function isStandardContext(value: unknown): value is ClassMethodDecoratorContext {
  return typeof value === "object" && value !== null && "kind" in value;
}

function makeDecorator(
  kind: "@step" | "@catchError",
  build: (methodName: string, fn: StepDeclaration["fn"]) => StepDeclaration,
): (...args: unknown[]) => void {
  return (target: unknown, context: unknown, descriptor?: unknown) => {
    if (isStandardContext(context)) {
      if (context.kind !== "method" || context.static) {
        throw new WorkflowRuntimeError("notAMethod", {
          decorator: kind,
          member: String(context.name),
        });
      }
      recordStandard(
        context.metadata,
        build(String(context.name), target as StepDeclaration["fn"]),
      );
      return;
    }
    const fn = (descriptor as PropertyDescriptor | undefined)?.value;
    if (typeof fn !== "function" || typeof target !== "object" || target === null) {
      throw new WorkflowRuntimeError("notAMethod", { decorator: kind, member: String(context) });
    }
    recordLegacy((target as { constructor: object }).constructor, build(String(context), fn));
  };
}

/**
 * Marks a workflow method as a step that runs when an event it `accepts` arrives. The method
 * receives `(event, ctx)`; one declared with a single parameter gets no context (none is made).
 *
 * @example
 * class JokeFlow extends Workflow {
 *   @step({ accepts: StartEvent, emits: JokeEvent })
 *   async generate(ev: StartEvent) { return new JokeEvent({ joke: `A joke about ${ev.topic}` }); }
 *   @step({ accepts: JokeEvent, emits: StopEvent })
 *   critique(ev: JokeEvent) { return new StopEvent({ result: ev.joke }); }
 * }
 */
export function step<
  const TAcc extends EventClasses,
  const TEmits extends EventClasses = never,
  const TFanOut extends boolean | undefined = undefined,
  const TCollect extends CollectOption | undefined = undefined,
  const TJoin extends boolean | undefined = undefined,
>(
  options: StepOptions<TAcc, TEmits, TFanOut, TCollect, TJoin>,
): StepDecorator<StepInput<TAcc, TCollect, TJoin>, StepOutput<TEmits, TFanOut>, TAcc, TEmits> {
  return makeDecorator("@step", (methodName, fn) =>
    declareStep(methodName, options as StepOptions<EventClasses, EventClasses>, fn),
  ) as never;
}

/**
 * Marks a method that receives a `StepFailedEvent` once a step's retries are spent, and may
 * recover: return a stop event, or another event to re-route the work. Used on its own, not
 * stacked on `@step`.
 */
export function catchError<const TEmits extends EventClasses = never>(
  options: CatchErrorOptions<TEmits> = {},
): StepDecorator<StepFailedEvent, InstanceOfEvents<TEmits>, never, TEmits> {
  return makeDecorator("@catchError", (methodName, fn) =>
    declareStep(
      methodName,
      {
        accepts: StepFailedEvent,
        emits: options.emits as EventClasses | undefined,
        catchError: options as CatchErrorOptions<EventClasses>,
      } as StepOptions<EventClasses, EventClasses> & {
        catchError: CatchErrorOptions<EventClasses>;
      },
      fn,
    ),
  ) as never;
}

/**
 * A step function as `addStep` takes it. Its first parameter is an `accepts` event (an array of
 * them with `collect`, a tuple with `join: true`); it returns an `emits` event or nothing (or an
 * array of `emits` events with `fanOut: true`).
 */
export type StepFunction<
  TAcc extends EventClasses,
  TEmits extends EventClasses,
  TState = any,
  TFanOut extends boolean | undefined = undefined,
  TCollect extends CollectOption | undefined = undefined,
  TJoin extends boolean | undefined = undefined,
> = (
  ev: StepInput<TAcc, TCollect, TJoin>,
  ctx: Context<TState>,
) => StepOutput<TEmits, TFanOut> | Promise<StepOutput<TEmits, TFanOut>>;
