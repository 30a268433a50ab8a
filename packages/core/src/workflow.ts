/**
 * `Workflow`: a set of steps connected by the events they accept and emit. Subclass it and
 * decorate methods with `@step`, or add function steps with `addStep`; then `run()` it.
 */
import type { z } from "zod";
import { addRoutes, compileRunConfig } from "./compile.js";
import { Context, contextOwner, restoredRun, runnerOf } from "./context.js";
import type { RunConfig } from "./control-loop/run-state.js";
import { initialRunState } from "./control-loop/run-state.js";
import {
  errorText,
  toError,
  type ValidationProblem,
  WorkflowRuntimeError,
  WorkflowValidationError,
} from "./errors.js";
import { createEventRegistry } from "./event-codec.js";
import { Event, type EventClass, type StartEvent, type StopEvent } from "./events.js";
import {
  createErrorRegistry,
  type ErrorClass,
  type ErrorRegistry,
  errorClassProblems,
} from "./failure.js";
import { buildGraph, type WorkflowGraph } from "./graph.js";
import type { WorkflowHandler } from "./handler.js";
import { describeValue, safeText } from "./internal/describe.js";
import { createRunId } from "./internal/ids.js";
import {
  isWorkflow,
  registerWorkflow,
  workflowSpec,
  workflowSteps,
} from "./internal/workflow-registry.js";
import { zod3StateProblems } from "./internal/zod-version.js";
import type { Runtime } from "./runtime/adapter.js";
import { defaultRuntime } from "./runtime/in-memory.js";
import type { RunObserver } from "./runtime/observer.js";
import type { StepInfo, WorkflowSpec } from "./runtime/spec.js";
import {
  type CatchErrorOptions,
  type ClassesWithRole,
  type CollectOption,
  declareStep,
  type EventClasses,
  type IsOpenStartInput,
  type RunResultOf,
  type StartInputOf,
  type StepFunction,
  type StepOptions,
} from "./step.js";
import { classSteps, type StepDeclaration } from "./step-registry.js";
import {
  catchOwners,
  checkDeclarations,
  checkWorkflow,
  duplicateStepProblem,
  type GraphCheckName,
  inferStartStop,
  noStepsProblem,
} from "./validate.js";

/** Options of `new Workflow(...)` and of every subclass's constructor. */
export interface WorkflowOptions<TState = any> {
  /** Seconds a run may take before it fails with `WorkflowTimeoutError`; null for no limit. @default 60 */
  timeout?: number | null;
  /** Log each step's start and completion and the result. @default false */
  verbose?: boolean;
  /** Check the graph before the first run. @default true */
  validate?: boolean;
  /** The workflow's name in messages, snapshots and drawings. @default the class name */
  name?: string;
  /** How many runs of this instance may be in progress at once; more wait. null: no limit. @default null */
  numConcurrentRuns?: number | null;
  /** Graph checks to skip. */
  skipGraphChecks?: readonly GraphCheckName[];
  /** Where runs execute. @default in this process, in memory */
  runtime?: Runtime;
  /** zod schema of the store (overrides `static state`); every field needs a default. */
  state?: z.ZodType<TState>;
  /** Where `verbose` lines go. @default console.log */
  logger?: (line: string) => void;
  /**
   * Offer `handler.trace()` (what each run did, for drawings). Runs record their steps either
   * way, compactly (the record is also how a run's log keeps its internal events), so `false`
   * saves neither time nor memory; it only refuses `handler.trace()`. @default true
   */
  trace?: boolean;
  /** Told what happens in every run of this workflow (e.g. tracing, metrics). */
  observers?: readonly RunObserver[];
  /**
   * Error classes of this workflow's steps: a failure read back from a snapshot or journal is
   * revived as its class (so `instanceof` works). Built-in and stepwise errors need no listing.
   */
  errors?: readonly ErrorClass[];
}

/** Options of `wf.run(input, options)`. */
export interface RunOptions {
  /** A context to run in: seeded before the run, reused from an earlier run, or restored from a snapshot. */
  ctx?: Context;
  /** The run's id. @default a random 10-character id */
  runId?: string;
  /** Aborting it cancels the run, like `handler.cancel()`. */
  signal?: AbortSignal;
  /**
   * Where this run executes, instead of the workflow's runtime (a server runs every workflow it
   * serves on one durable runtime). @default the workflow's `runtime`
   */
  runtime?: Runtime;
}

const OPTION_NAMES = new Set([
  "timeout",
  "verbose",
  "validate",
  "name",
  "numConcurrentRuns",
  "skipGraphChecks",
  "runtime",
  "state",
  "logger",
  "trace",
  "observers",
  "errors",
]);
const RUN_OPTION_NAMES = new Set(["ctx", "runId", "signal", "runtime"]);

/** `run()`'s default options: one object for every call without any. */
const NO_OPTIONS: RunOptions = Object.freeze({});

function checkRunOptions(options: RunOptions): void {
  for (const key of Object.keys(options)) {
    if (!RUN_OPTION_NAMES.has(key)) {
      throw new WorkflowRuntimeError("unknownOption", {
        method: "run()",
        option: key,
        valid: [...RUN_OPTION_NAMES],
      });
    }
  }
}

/** Type-only key under which a workflow's type records its start input, result and state. */
declare const workflowTypes: unique symbol;

/**
 * What a workflow type declares: `start`, the fields `run()` takes; `result`, what `await
 * handler` gives; `state`, the store's type. `never` for a type that is not a workflow.
 */
export type WorkflowTypes<W> = W extends {
  readonly [workflowTypes]?: infer T extends { start: unknown; result: unknown; state: unknown };
}
  ? T
  : never;

/**
 * What `@step` requires of a class, as a structural type: its `TStart` must fit `TStartNeed` and
 * its `TResult` take `TResultNeed`'s argument. Being structural, it checks a class that is
 * generic in `TStart` or `TResult` through their constraints, as TypeScript checks generics.
 */
export type StepHost<TStartNeed, TResultNeed> = {
  readonly [workflowTypes]?: { readonly startCheck: TStartNeed; readonly resultCheck: TResultNeed };
};

type IsAny<T> = 0 extends 1 & T ? true : false;

/** A start class with typed fields replaces the start input; `StartEvent` itself keeps it. */
type NextStart<TStart, TAcc> = [ClassesWithRole<TAcc, "start">] extends [never]
  ? TStart
  : IsOpenStartInput<StartInputOf<ClassesWithRole<TAcc, "start">>> extends true
    ? TStart
    : StartInputOf<ClassesWithRole<TAcc, "start">>;

/**
 * A typed stop class gives its instances as the result (`StopEvent` itself: `any`); results of
 * several stop steps add up, and `any` (nothing known) gives way to a known result.
 */
type NextResult<TResult, TEmits> = [ClassesWithRole<TEmits, "stop">] extends [never]
  ? TResult
  : MergeResult<TResult, RunResultOf<ClassesWithRole<TEmits, "stop">>>;

type MergeResult<TOld, TNew> =
  IsAny<TOld> extends true ? TNew : IsAny<TNew> extends true ? TOld : TOld | TNew;

/**
 * The type `addStep` returns. On a plain `Workflow`, a workflow whose `run()` input and result
 * follow the step's start and stop events; a subclass keeps its own type and the
 * `Workflow<TStart, TResult>` it declares.
 */
export type WorkflowWithStep<W, TAcc, TEmits> =
  WorkflowTypes<W> extends { start: infer S; result: infer R; state: infer St }
    ? Workflow<S, R, St> extends W
      ? Workflow<NextStart<S, TAcc>, NextResult<R, TEmits>, St>
      : W
    : W;

/**
 * A workflow. Subclass it with `@step` methods, or build one with `addStep`.
 *
 * Typed runs: `TStart` is the fields `run()` takes (the start event's constructor input) and
 * `TResult` what `await handler` gives: the stop event itself for a typed stop
 * (`StopEvent.define(...)`), or the `result` of a `StopEvent`. A class declares them,
 * `class Rag extends Workflow<{ query: string }, Answer>`, and `@step` checks the start event it
 * accepts and the stop event it emits against them. Built with `addStep`, a workflow infers them
 * from its steps: `new Workflow().addStep("go", { accepts: Query, emits: Answer }, fn)` runs with
 * `Query`'s fields and resolves to an `Answer`.
 *
 * @example
 * class JokeFlow extends Workflow {
 *   @step({ accepts: StartEvent, emits: JokeEvent })
 *   async generate(ev: StartEvent) { return new JokeEvent({ joke: `A joke about ${ev.topic}` }); }
 *   @step({ accepts: JokeEvent, emits: StopEvent })
 *   async critique(ev: JokeEvent) { return new StopEvent({ result: `Critique: ${ev.joke}` }); }
 * }
 * const result = await new JokeFlow({ timeout: 60 }).run({ topic: "pirates" });
 */
export class Workflow<TStart = Record<string, any>, TResult = any, TState = any> {
  /** Type-only (never set): the class's type parameters, read by `addStep` and `@step`. */
  declare readonly [workflowTypes]?: {
    readonly start: TStart;
    readonly result: TResult;
    readonly state: TState;
    /** For `@step`: `any` when `run()` takes any fields, else `TStart`. */
    readonly startCheck: IsOpenStartInput<TStart> extends true ? any : TStart;
    /** For `@step`: takes the run's result (anything when `TResult` is `any` or `unknown`). */
    readonly resultCheck: unknown extends TResult ? any : (result: TResult) => void;
  };

  /** zod schema of the store for every instance of this class; every field needs a default. */
  static state?: z.ZodType;

  /** Error classes of every instance's steps (see the `errors` option). */
  static errors?: readonly ErrorClass[];

  /** Seconds a run may take, or null for no limit. */
  readonly timeout: number | null;
  readonly verbose: boolean;
  /** The workflow's name in messages, snapshots and drawings. */
  readonly workflowName: string;
  readonly numConcurrentRuns: number | null;

  readonly #steps = new Map<string, StepDeclaration>();
  readonly #skipGraphChecks: readonly GraphCheckName[];
  readonly #validateOnRun: boolean;
  readonly #runtime: Runtime;
  readonly #stateSchema: z.ZodType | undefined;
  readonly #logger: (line: string) => void;
  readonly #trace: boolean;
  readonly #observers: readonly RunObserver[];
  readonly #errors: ErrorRegistry;
  #spec: WorkflowSpec | null = null;
  #validated = false;

  /**
   * @throws {@link WorkflowValidationError} for unknown options, a bad `numWorkers`, no or
   * several start/stop event classes, or unknown `skipGraphChecks` names.
   */
  constructor(options: WorkflowOptions<TState> = {}) {
    const cls = new.target as unknown as {
      name: string;
      state?: z.ZodType;
      errors?: readonly ErrorClass[];
    };
    const name = options.name ?? (cls.name || "Workflow");
    this.workflowName = name;
    const problems: ValidationProblem[] = [];
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.has(key)) {
        problems.push({
          code: "invalidOptions",
          message: `Unknown workflow option \`${key}\`. Valid options are: ${[...OPTION_NAMES].join(", ")}.`,
        });
      }
    }
    const timeout = options.timeout === undefined ? 60 : options.timeout;
    if (
      timeout !== null &&
      !(typeof timeout === "number" && timeout > 0 && Number.isFinite(timeout))
    ) {
      problems.push({
        code: "invalidOptions",
        message: `\`timeout\` of ${name} must be a number of seconds > 0, or null for none; got ${safeText(timeout)}.`,
      });
    }
    const limit = options.numConcurrentRuns ?? null;
    if (limit !== null && !(Number.isInteger(limit) && limit > 0)) {
      problems.push({
        code: "invalidOptions",
        message: `\`numConcurrentRuns\` of ${name} must be a positive integer, or null for no limit; got ${safeText(limit)}.`,
      });
    }
    this.timeout = timeout;
    this.verbose = options.verbose === true;
    this.numConcurrentRuns = limit;
    this.#skipGraphChecks = options.skipGraphChecks ?? [];
    this.#validateOnRun = options.validate !== false;
    this.#runtime = options.runtime ?? defaultRuntime;
    this.#stateSchema = options.state ?? cls.state;
    problems.push(...zod3StateProblems(name, this.#stateSchema));
    this.#logger = guardedLogger(name, options.logger ?? ((line) => console.log(line)));
    this.#trace = options.trace !== false;
    this.#observers = options.observers ?? [];
    const errorClasses = options.errors ?? cls.errors ?? [];
    for (const message of errorClassProblems(name, errorClasses))
      problems.push({ code: "invalidOptions", message });
    this.#errors = createErrorRegistry(Array.isArray(errorClasses) ? errorClasses : []);
    for (const declared of classSteps(new.target as never)) {
      if (this.#steps.has(declared.name)) problems.push(duplicateStepProblem(name, declared.name));
      this.#steps.set(declared.name, declared);
    }
    problems.push(...checkDeclarations(name, [...this.#steps.values()], this.#skipGraphChecks));
    if (problems.length > 0) throw new WorkflowValidationError(name, problems);
    registerWorkflow(
      this,
      () => this.#compile(false),
      () => [...this.#steps.values()],
    );
  }

  /**
   * Adds a function step (chainable): `wf.addStep("name", { accepts, emits }, async (ev, ctx) => ...)`.
   * A function declared with one parameter gets no context.
   * For a `@catchError` handler, pass `accepts: StepFailedEvent` and `catchError: { forSteps, maxRecoveries }`.
   * @throws {@link WorkflowValidationError} for a duplicate name or bad options.
   */
  addStep<
    const TAcc extends EventClasses,
    const TEmits extends EventClasses = never,
    const TFanOut extends boolean | undefined = undefined,
    const TCollect extends CollectOption | undefined = undefined,
    const TJoin extends boolean | undefined = undefined,
  >(
    name: string,
    options: StepOptions<TAcc, TEmits, TFanOut, TCollect, TJoin> & {
      catchError?: CatchErrorOptions<EventClasses>;
    },
    fn: StepFunction<TAcc, TEmits, TState, TFanOut, TCollect, TJoin>,
  ): WorkflowWithStep<this, TAcc, TEmits> {
    if (this.#steps.has(name)) {
      throw new WorkflowValidationError(this.workflowName, [
        duplicateStepProblem(this.workflowName, name),
      ]);
    }
    if (typeof fn !== "function") {
      throw new WorkflowValidationError(this.workflowName, [
        {
          code: "invalidStepOptions",
          steps: [name],
          message: `\`addStep("${name}", options, fn)\` needs a function as \`fn\`.`,
        },
      ]);
    }
    const declared = declareStep(
      name,
      { ...(options as object), name } as never,
      fn as StepDeclaration["fn"],
    );
    const problems = checkDeclarations(this.workflowName, [declared], []).filter(
      (p) => p.code === "invalidStepOptions" || p.code === "unknownGraphCheck",
    );
    if (problems.length > 0) throw new WorkflowValidationError(this.workflowName, problems);
    this.#steps.set(name, declared);
    this.#spec = null;
    this.#validated = false;
    // The same object: only its type learns the step's start and stop events.
    return this as never;
  }

  /**
   * Runs every check now.
   * @throws {@link WorkflowValidationError} listing every problem found.
   */
  validate(): void {
    const problems = checkWorkflow(
      this.workflowName,
      [...this.#steps.values()],
      this.#skipGraphChecks,
    );
    if (problems.length > 0) throw new WorkflowValidationError(this.workflowName, problems);
    this.#validated = true;
  }

  /** The start event class the steps accept. */
  get startEventClass(): EventClass {
    return this.#compile(false).startEventClass;
  }

  /** The stop event class the steps emit. */
  get stopEventClass(): EventClass {
    return this.#compile(false).stopEventClass;
  }

  /** Every event class in the graph. */
  get events(): readonly EventClass[] {
    const seen = new Set<EventClass>();
    for (const declared of this.#steps.values()) {
      for (const cls of [...declared.accepts, ...declared.emits]) seen.add(cls);
    }
    return [...seen];
  }

  /** The names of the steps. */
  get stepNames(): readonly string[] {
    return [...this.#steps.keys()];
  }

  /**
   * Starts a run and returns its handler at once; `await` the handler for the result.
   *
   * @param input the start event's fields, or a start event instance; omit to resume `options.ctx`.
   * @throws {@link WorkflowValidationError} when the graph is invalid,
   * {@link EventValidationError} when the input fails the start event's schema,
   * {@link WorkflowRuntimeError} for a duplicate active `runId` or a context that is running.
   * @example
   * const handler = wf.run({ query: "What is AI?" });
   * const result = await handler;
   */
  run(input?: TStart | StartEvent, options: RunOptions = NO_OPTIONS): WorkflowHandler<TResult> {
    if (options !== NO_OPTIONS) checkRunOptions(options);
    const spec = this.#compile(this.#validateOnRun);
    checkRunId(options.runId);
    const signal = options.signal;
    if (signal !== undefined && !isAbortSignal(signal)) {
      throw new WorkflowRuntimeError("invalidOption", {
        method: "run()",
        option: "signal",
        expected: "an AbortSignal (e.g. `new AbortController().signal`)",
        received: describeValue(signal),
      });
    }
    const ctx = options.ctx ?? new Context(this);
    if (!(ctx instanceof Context)) {
      throw new WorkflowRuntimeError("invalidOption", {
        method: "run()",
        option: "ctx",
        expected: "a Context (made with `new Context(wf)` or `Context.fromJSON`)",
        received: describeValue(ctx),
      });
    }
    this.#checkOwner(ctx);
    if (ctx.isRunning) {
      throw new WorkflowRuntimeError("contextRunning", {});
    }
    const restored = restoredRun(ctx);
    if (restored && input !== undefined) {
      throw new WorkflowRuntimeError("inputOnResume", {});
    }
    const startEvent = restored ? null : this.#startEvent(input, spec);
    const runId = options.runId ?? restored?.runId ?? createRunId();
    const state = restored ? restored.state : initialRunState(spec.config);
    const request = { workflow: this as Workflow, runId, startEvent, state, ctx, signal };
    const runtime = options.runtime ?? this.#runtime;
    if (typeof (runtime as Partial<Runtime> | null)?.startRun !== "function") {
      throw new WorkflowRuntimeError("invalidOption", {
        method: "run()",
        option: "runtime",
        expected: "a runtime (e.g. `new InMemoryRuntime()`, a `SqliteRuntime`)",
        received: describeValue(runtime),
      });
    }
    return runtime.startRun(request) as WorkflowHandler<TResult>;
  }

  /** A context made or restored for another workflow cannot run here: its steps would not match. */
  #checkOwner(ctx: Context): void {
    const owner = contextOwner(ctx) as object;
    if (owner === this) return;
    const theirs = isWorkflow(owner) ? workflowSpec(owner) : undefined;
    const sameShape =
      theirs !== undefined &&
      owner.constructor === this.constructor &&
      theirs.name === this.workflowName &&
      Object.keys(theirs.config.steps).join("\n") === this.stepNames.join("\n");
    if (sameShape) return;
    throw new WorkflowRuntimeError("contextMismatch", {
      workflow: this.workflowName,
      contextWorkflow: String((owner as { workflowName?: string }).workflowName),
    });
  }

  #startEvent(input: unknown, spec: WorkflowSpec): Event {
    const startClass = spec.startEventClass;
    if (input instanceof Event) {
      if (input.constructor !== startClass) {
        throw new WorkflowRuntimeError("wrongStartEvent", {
          eventType: (input.constructor as EventClass).eventType,
          expected: startClass.eventType,
        });
      }
      return input;
    }
    if (
      input !== undefined &&
      input !== null &&
      (typeof input !== "object" || Array.isArray(input))
    ) {
      throw new WorkflowRuntimeError("invalidInput", {
        expected: startClass.eventType,
        received: Array.isArray(input) ? "an array" : typeof input,
      });
    }
    return new (startClass as unknown as new (fields?: object) => Event)((input ?? {}) as object);
  }

  /** Builds (once per step table) what the runner needs; validates first when asked. */
  #compile(validate: boolean): WorkflowSpec {
    if (validate && !this.#validated) this.validate();
    if (this.#spec) return this.#spec;
    const steps = [...this.#steps.values()];
    const problems = checkDeclarations(this.workflowName, steps, this.#skipGraphChecks);
    if (steps.length === 0) problems.push(noStepsProblem(this.workflowName));
    if (problems.length > 0) throw new WorkflowValidationError(this.workflowName, problems);
    const { startClasses, stopClasses } = inferStartStop(steps);
    const infos = new Map<string, StepInfo>();
    for (const declared of steps) {
      infos.set(declared.name, {
        name: declared.name,
        fn: declared.fn,
        retry: declared.retry,
        takesContext: declared.fn.length !== 1,
        accepts: declared.accepts,
        acceptsTypes: new Set(declared.accepts.map((c) => c.eventType)),
        acceptSubclasses: declared.acceptEventSubclasses === true,
        fanOut: declared.fanOut === true,
        declaresEmits: declared.emits.length > 0,
      });
    }
    const config: RunConfig = { ...compileRunConfig(steps), catchOwners: catchOwners(steps) };
    const subclassing = steps.some((declared) => declared.acceptEventSubclasses === true);
    this.#spec = {
      workflow: this,
      name: this.workflowName,
      steps: infos,
      config,
      startEventClass: startClasses[0] as EventClass,
      stopEventClass: stopClasses[0] as EventClass<StopEvent>,
      registry: createEventRegistry(this.events),
      timeoutMs: this.timeout === null ? null : this.timeout * 1000,
      log: this.verbose ? this.#logger : null,
      stateSchema: this.#stateSchema,
      trace: this.#trace,
      observers: this.#observers,
      errors: this.#errors,
      ensureRoute: subclassing ? (cls) => addRoutes(config, steps, cls) : null,
    };
    return this.#spec;
  }
}

/**
 * A logger that never throws into the engine: its first failure is reported once on the
 * console, and the run carries on.
 */
function guardedLogger(
  workflowName: string,
  logger: (line: string) => void,
): (line: string) => void {
  let reported = false;
  return (line) => {
    try {
      logger(line);
    } catch (error) {
      if (reported) return;
      reported = true;
      try {
        console.warn(
          `stepwise: the \`logger\` of workflow ${workflowName} threw (${errorText(toError(error)).message}); runs carry on, and later failures of this logger are not reported.`,
        );
      } catch {
        // Nowhere left to report to.
      }
    }
  };
}

function checkRunId(runId: unknown): void {
  if (runId === undefined) return;
  if (typeof runId !== "string" || runId.length === 0 || runId.length > 256) {
    throw new WorkflowRuntimeError("invalidOption", {
      method: "run()",
      option: "runId",
      expected: "a non-empty string of at most 256 characters",
      received: describeValue(runId),
    });
  }
}

function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof AbortSignal === "function" && value instanceof AbortSignal) return true;
  const candidate = value as Partial<AbortSignal> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.aborted === "boolean" &&
    typeof candidate.addEventListener === "function" &&
    typeof candidate.removeEventListener === "function"
  );
}

/**
 * The step/event graph of a workflow class (without instantiating it) or instance (including
 * steps added with `addStep`), built from the declared `accepts`/`emits`.
 */
export function getWorkflowGraph(
  workflow: Workflow | (abstract new (...args: any[]) => Workflow),
): WorkflowGraph {
  if (typeof workflow === "function") {
    return buildGraph(workflow.name, classSteps(workflow));
  }
  const table = workflowSteps(workflow);
  if (!table)
    throw new WorkflowRuntimeError("notAWorkflow", {
      method: "getWorkflowGraph()",
      expected: "a Workflow class or instance",
      received: describeValue(workflow),
    });
  return buildGraph(workflow.workflowName, table);
}

/** @internal The compiled spec of a workflow, for runtimes. */
/** @internal The run behind a context, for runtimes and tests. */
export { runnerOf, workflowSpec };
