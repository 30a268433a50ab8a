/**
 * The codes of {@link WorkflowRuntimeError}, the fields each one carries, and the message each
 * builds from them. Kept beside `errors.ts`, which holds the classes; a new misuse check adds
 * its code, its fields and its message here.
 */

const quoted = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(", ");

/**
 * The fields of a {@link WorkflowRuntimeError}, by code. Every field also sits on the error
 * itself (`error.step`, `error.runId`, ...), so a caller reads the data, not the message.
 */
export interface WorkflowRuntimeErrorDetails {
  // --- calls with the wrong arguments --------------------------------------------------------
  /** Something other than a workflow was given where a workflow is needed. */
  notAWorkflow: { method: string; expected?: string; received: string };
  /** An option of `method` has the wrong type or range. */
  invalidOption: { method: string; option: string; expected: string; received?: string };
  /** `method` was given an option it does not have. */
  unknownOption: { method: string; option: string; valid: readonly string[]; hint?: string };
  /** A retry helper (`waitFixed`, `stopAfterAttempt`, `retryPolicy`, ...) was given a bad argument. */
  invalidRetryOption: {
    method: string;
    /** The option concerned, when the helper takes an options object. */
    option?: string;
    /** The position (from 1) of the argument concerned, when the helper takes a list. */
    argument?: number;
    expected: string;
    received: string;
    hint?: string;
  };
  /** `@step` or `@catchError` decorates something that is not an instance method. */
  notAMethod: { decorator: string; member: string };
  /** A decorator ran without `Symbol.metadata` (stepwise's polyfill was not loaded first). */
  noDecoratorMetadata: Record<string, never>;

  // --- calls at the wrong time or place ------------------------------------------------------
  /** `method` needs a running workflow. */
  notRunning: { method: string };
  /** `method` is for step functions (their `ctx`). */
  stepOnly: { method: string };
  /** `method` is for handler code (`handler.ctx`), not steps. */
  handlerOnly: { method: string };
  /** `run()` with a context that runs already. */
  contextRunning: Record<string, never>;
  /** `run(input, { ctx })` with a context restored from a snapshot. */
  inputOnResume: Record<string, never>;
  /** A context made for another workflow. */
  contextMismatch: { workflow: string; contextWorkflow: string };
  /** An event sent to a run that has ended. */
  runEnded: { runId: string; workflow: string };
  /** The run's stream was read already; `streamEvents()` is once per run. */
  streamConsumed: Record<string, never>;
  /** The run's stream is being iterated already. */
  streamIterating: Record<string, never>;
  /** A subscriber asked for events the run log no longer keeps. */
  eventsNotKept: { after: number; first: number };
  /** `handler.trace()` of a workflow made with `trace: false`. */
  noTrace: Record<string, never>;

  // --- events and steps ----------------------------------------------------------------------
  /** The start event given to `run()` is of another class than the steps accept. */
  wrongStartEvent: { eventType: string; expected: string };
  /** `run()` was given something that is neither the start event's fields nor a start event. */
  invalidInput: { expected: string; received: string };
  /** `method` takes an event instance. */
  notAnEvent: { method: string; received: string };
  /** An event was sent to a step the workflow does not have. */
  unknownStep: { step: string; workflow: string; steps: readonly string[] };
  /** An event was sent to a step that does not accept its type. */
  stepDoesNotAccept: { step: string; eventType: string; accepts: readonly string[] };
  /** A step returned something that is not an event. */
  badReturn: { step: string; received: string };
  /** A step returned an array without declaring `fanOut: true`. */
  unexpectedArray: { step: string };
  /** A fan-out returned an array with an item that is not an event. */
  badFanOutItem: { step: string; index: number; received: string };
  /** A step went on after `ctx.waitForEvent()` had parked it (the wait was raced or left pending). */
  raceAfterWait: { step: string; how: string };
  /** A fan-out collection can never complete (the run state was changed outside the engine). */
  collectionStuck: { step?: string };

  // --- retries -------------------------------------------------------------------------------
  /** A step's retry policy threw. `cause` is what it threw. */
  retryPolicyFailed: { step: string; reason: string; stepError: string };
  /** A step's retry policy returned something other than seconds or null. `cause` is the step's error. */
  badRetryDelay: { step: string; received: string; stepError: string };
  /** A wait of a `retryPolicy` returned something other than finite seconds >= 0. */
  invalidWait: { policy: string; received: string };

  // --- the store -----------------------------------------------------------------------------
  /** A store path that cannot be used. */
  invalidStorePath: {
    path: string;
    problem: "notAString" | "empty" | "tooDeep" | "prototypeKey";
    segment?: string;
    limit?: number;
    received?: string;
  };
  /** `store.get(path)` of a path that is not there, with no default. */
  storePathNotFound: { path: string };
  /** A state schema without a default for every field. */
  stateNeedsDefaults: { fields: readonly string[] };
  /** `store.setState()` of something that is not an object. */
  storeStateNotObject: { received: string };
  /** A new store state that fails the state schema. */
  storeStateInvalid: { problems: readonly string[] };
  /** A store write inside `store.edit()`. */
  storeWriteInsideEdit: { method: string };

  // --- runtimes and the engine ---------------------------------------------------------------
  /** A run with this id is in progress on the runtime ({@link RunAdmissionError}). */
  duplicateRunId: { runId: string; runtime: string };
  /** The run is in progress, so the runtime will not do what was asked of it. */
  runInProgress: { runId: string; runtime: string };
  /** The runtime was closed. */
  runtimeClosed: { runtime: string };
  /** A runtime's constructor options are wrong. */
  invalidRuntimeOptions: { runtime: string; problems: readonly string[] };
  /** `reduce()` was given something that is not a tick. */
  unknownTick: { received: string };
  /** The engine itself failed. `cause` is the error. */
  engineFailed: { reason: string };
}

/** What a {@link WorkflowRuntimeError} is about. */
export type WorkflowRuntimeErrorCode = keyof WorkflowRuntimeErrorDetails;

type Messages = {
  [C in WorkflowRuntimeErrorCode]: (details: WorkflowRuntimeErrorDetails[C]) => string;
};

const NOT_RUNNING: Readonly<Record<string, string>> = {
  "ctx.runId": "`ctx.runId` is known once the workflow has started: call `workflow.run()` first.",
  "ctx.signal": "`ctx.signal` requires a running workflow. Call `workflow.run()` first.",
  "ctx.sendEvent()":
    "`ctx.sendEvent()` called before the workflow started. Call `workflow.run()` first, then send with `handler.sendEvent()`.",
};

const MESSAGES: Messages = {
  notAWorkflow: (d) =>
    `\`${d.method}\` needs ${d.expected ?? "a Workflow instance"}; got ${d.received}.`,
  invalidOption: (d) =>
    `\`${d.option}\` of \`${d.method}\` must be ${d.expected}${d.received === undefined ? "" : `; got ${d.received}`}.`,
  unknownOption: (d) =>
    `Unknown option \`${d.option}\` of \`${d.method}\`. ${d.valid.length === 1 ? "The valid option is" : "Valid options are"}: ${d.valid.join(", ")}${d.hint ? ` (${d.hint})` : ""}.`,
  invalidRetryOption: (d) => {
    const subject =
      d.option !== undefined
        ? `\`${d.option}\` to be `
        : d.argument !== undefined
          ? `argument ${d.argument} to be `
          : "";
    return `\`${d.method}\` needs ${subject}${d.expected}; got ${d.received}${d.hint ? `. ${d.hint}` : ""}`;
  },
  notAMethod: (d) => `${d.decorator} decorates instance methods only; \`${d.member}\` is not one.`,
  noDecoratorMetadata: () =>
    "@step needs decorator metadata (`Symbol.metadata`); import `@stepwise/core` before defining workflows.",

  notRunning: (d) =>
    NOT_RUNNING[d.method] ??
    `\`${d.method}\` requires a running workflow. Call \`workflow.run()\` first.`,
  stepOnly: (d) => `\`${d.method}\` is only available from within step functions.`,
  handlerOnly: (d) =>
    `\`${d.method}\` is only available from handler code (\`handler.ctx\`), not from within steps.`,
  contextRunning: () =>
    "Cannot start a new run while context is already running. Wait for completion or use a new Context.",
  inputOnResume: () =>
    "This context resumes a run from a snapshot, so it takes no input: call `wf.run(undefined, { ctx })`.",
  contextMismatch: (d) =>
    `This context was made for workflow \`${d.contextWorkflow}\`, not \`${d.workflow}\`: its steps and store belong to that workflow. Run it with the workflow it was made for, or make one with \`new Context(thisWorkflow)\` / \`Context.fromJSON(thisWorkflow, snapshot)\`.`,
  runEnded: (d) =>
    `Run \`${d.runId}\` of ${d.workflow} has already ended; it accepts no more events.`,
  streamConsumed: () =>
    "The event stream of this run was already consumed; `streamEvents()` can be called once per run. Use `handler.subscribe()` for more readers.",
  streamIterating: () =>
    "This event stream is already being iterated; a run's stream has one consumer. Iterate it in one `for await` loop, and share the events from there.",
  eventsNotKept: (d) =>
    `Events of this run before sequence ${d.first} were not kept (its stream reader left and nothing else subscribed). Subscribe from ${d.first - 1} or later.`,
  noTrace: () =>
    "This run recorded no trace: the workflow was made with `trace: false`. Leave it on to draw runs.",

  wrongStartEvent: (d) =>
    `The start event must be an instance of \`${d.expected}\` (the class this workflow's steps accept); got \`${d.eventType}\`.`,
  invalidInput: (d) =>
    `\`run()\` takes the start event's fields as an object, or a \`${d.expected}\` instance; got ${d.received}.`,
  notAnEvent: (d) => `\`${d.method}\` takes an event instance; got ${d.received}.`,
  unknownStep: (d) =>
    `Step \`${d.step}\` does not exist in ${d.workflow}. Known steps: ${quoted(d.steps)}.`,
  stepDoesNotAccept: (d) =>
    `Step \`${d.step}\` does not accept event of type \`${d.eventType}\`; it accepts ${quoted(d.accepts)}.`,
  badReturn: (d) =>
    `Step \`${d.step}\` returned ${d.received} instead of an Event instance. Return an event (or null to emit nothing).`,
  unexpectedArray: (d) =>
    `Step \`${d.step}\` returned an array instead of an Event instance. To fan the events out as one collection, declare the step with \`fanOut: true\`; otherwise return one event (or null).`,
  badFanOutItem: (d) =>
    `Step \`${d.step}\` returned an array whose item ${d.index} is ${d.received}, not an Event instance. A fan-out returns an array of events.`,
  raceAfterWait: (d) =>
    `Step \`${d.step}\` ${d.how} after \`ctx.waitForEvent()\` had parked it: the wait was not awaited directly (raced with \`Promise.race\`, or left pending). A waiting step runs again from the top when the event arrives, so it must \`await ctx.waitForEvent(...)\` directly; for a deadline pass \`{ timeout }\` to \`waitForEvent\` and catch its \`WorkflowTimeoutError\`.`,
  collectionStuck: (d) =>
    `The run is idle but the fan-out collections${d.step === undefined ? "" : ` of step \`${d.step}\``} can never complete. This means the run state was changed outside the engine (an edited snapshot or journal).`,

  retryPolicyFailed: (d) =>
    `The retry policy of step \`${d.step}\` threw: ${d.reason}. The step's own error was: ${d.stepError}`,
  badRetryDelay: (d) =>
    `The retry policy of step \`${d.step}\` returned ${d.received}; \`next()\` must return the seconds to wait (a finite number >= 0), or null to stop retrying. The step's own error was: ${d.stepError}`,
  invalidWait: (d) =>
    `the wait of retry policy "${d.policy}" returned ${d.received}; a wait must return finite seconds >= 0`,

  invalidStorePath: (d) => {
    if (d.problem === "notAString")
      return `Store path must be a string such as \`"count"\` or \`"user.name"\`; got ${d.received}.`;
    if (d.problem === "empty")
      return 'Store path cannot be empty: give a key such as `"count"` or `"user.name"`.';
    if (d.problem === "tooDeep")
      return `Store path has ${d.path.split(".").length} segments; at most ${d.limit} are allowed.`;
    return `Store path \`${d.path}\` has a segment \`${d.segment}\`, which would reach an object's prototype instead of its data; store keys cannot be \`__proto__\`, \`constructor\` or \`prototype\`. Rename the key.`;
  },
  storePathNotFound: (d) =>
    `Path \`${d.path}\` not found in the store; pass a default: \`store.get("${d.path}", fallback)\`.`,
  stateNeedsDefaults: (d) =>
    `The state schema must give a default for every field (missing: ${quoted(d.fields)}); add \`.default(...)\` to them.`,
  storeStateNotObject: (d) => `\`store.setState()\` takes an object; got ${d.received}.`,
  storeStateInvalid: (d) =>
    `The store's new state does not match its schema: ${d.problems.join("; ")}.`,
  storeWriteInsideEdit: (d) =>
    `\`${d.method}\` was called inside \`store.edit()\`: change the state passed to the edit function instead (it is committed when the function returns).`,

  duplicateRunId: (d) =>
    `Workflow run with runId \`${d.runId}\` already exists on the ${d.runtime} runtime. Use another runId, or wait until that run has ended.`,
  runInProgress: (d) =>
    `Run \`${d.runId}\` is in progress on the ${d.runtime} runtime; cancel it (\`handler.cancel()\`) or wait until it has ended.`,
  runtimeClosed: (d) => `The ${d.runtime} runtime is closed; make a new one.`,
  invalidRuntimeOptions: (d) => `Invalid ${d.runtime} options: ${d.problems.join("; ")}.`,
  unknownTick: (d) => `Unknown tick: ${d.received}`,
  engineFailed: (d) => `The workflow engine failed: ${d.reason}`,
};

/** The message of a {@link WorkflowRuntimeError}, built from its code and fields. */
export function runtimeErrorMessage<C extends WorkflowRuntimeErrorCode>(
  code: C,
  details: WorkflowRuntimeErrorDetails[C],
): string {
  return (MESSAGES[code] as (details: WorkflowRuntimeErrorDetails[C]) => string)(details);
}
