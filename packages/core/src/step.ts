/**
 * `@step` and `@catchError`: method decorators that declare a workflow's steps. They work as
 * TC39 standard decorators and under `experimentalDecorators: true`, and their types reject a
 * method whose parameter or return type disagrees with `accepts`/`emits`.
 */
import type { Context } from "./context.js";
import { type EventClass, type InstanceOfEvents, StepFailedEvent } from "./events.js";
import type { RetryPolicy } from "./retry.js";
import {
  recordLegacy,
  recordStandard,
  type StepDeclaration,
  type StepGraphCheck,
} from "./step-registry.js";

/** One event class or several. */
export type EventClasses = EventClass | readonly EventClass[];

/** Options of `@step` and `addStep`. */
export interface StepOptions<
  TAccepts extends EventClasses = EventClasses,
  TEmits extends EventClasses = never,
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
  fanOut?: boolean;
  /**
   * Fan-in: the step runs once per fan-out collection with the `accepts` events its branches
   * produced, as an array in fan-out order (`[]` when none did). `{ take: n }` runs it on the
   * n-th event with the first n. The step's first parameter is an array.
   */
  collect?: true | { readonly take: number };
  /**
   * Join: the step runs once it holds one event of each `accepts` class, receiving them as a
   * tuple in `accepts` order. The step's first parameter is that tuple.
   */
  join?: boolean;
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
      : { "@step: the method's return type must be one of the `emits` events, null or void": never }
    : { "@step: the method's first parameter must accept every `accepts` event": never };

type AnyMethod = (this: any, ev: any, ...rest: any[]) => any;

/** The decorator `@step(...)` returns: standard (TC39) and legacy signatures. */
export interface StepDecorator<TAcc, TRet> {
  <This, M extends AnyMethod>(
    method: M,
    context: ClassMethodDecoratorContext<This, M> & StepMethodCheck<M, TAcc, TRet>,
  ): void;
  <M extends AnyMethod>(
    prototype: object,
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
        throw new TypeError(
          `${kind} decorates instance methods only; \`${String(context.name)}\` is not one.`,
        );
      }
      recordStandard(
        context.metadata,
        build(String(context.name), target as StepDeclaration["fn"]),
      );
      return;
    }
    const fn = (descriptor as PropertyDescriptor | undefined)?.value;
    if (typeof fn !== "function" || typeof target !== "object" || target === null) {
      throw new TypeError(
        `${kind} decorates instance methods only; \`${String(context)}\` is not one.`,
      );
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
export function step<const TAcc extends EventClasses, const TEmits extends EventClasses = never>(
  options: StepOptions<TAcc, TEmits>,
): StepDecorator<InstanceOfEvents<TAcc>, InstanceOfEvents<TEmits>> {
  return makeDecorator("@step", (methodName, fn) =>
    declareStep(methodName, options as StepOptions<EventClasses, EventClasses>, fn),
  ) as unknown as StepDecorator<InstanceOfEvents<TAcc>, InstanceOfEvents<TEmits>>;
}

/**
 * Marks a method that receives a `StepFailedEvent` once a step's retries are spent, and may
 * recover: return a stop event, or another event to re-route the work. Used on its own, not
 * stacked on `@step`.
 */
export function catchError<const TEmits extends EventClasses = never>(
  options: CatchErrorOptions<TEmits> = {},
): StepDecorator<StepFailedEvent, InstanceOfEvents<TEmits>> {
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
  ) as unknown as StepDecorator<StepFailedEvent, InstanceOfEvents<TEmits>>;
}

/** A step function as `addStep` takes it. */
export type StepFunction<TAcc extends EventClasses, TEmits extends EventClasses, TState = any> = (
  ev: InstanceOfEvents<TAcc>,
  ctx: Context<TState>,
) => StepReturn<TEmits> | Promise<StepReturn<TEmits>>;
