/**
 * stepwise: an event-driven workflow engine. Typed events carry data; `@step` methods run when
 * the events they accept arrive; a `StartEvent` begins a run and a `StopEvent` ends it.
 *
 * @example
 * import { Event, StartEvent, StopEvent, Workflow, step } from "@stepwise/core";
 * import { z } from "zod";
 *
 * class JokeEvent extends Event.define({ joke: z.string() }) {}
 *
 * class JokeFlow extends Workflow {
 *   @step({ accepts: StartEvent, emits: JokeEvent })
 *   async generate(ev: StartEvent) { return new JokeEvent({ joke: `Why did the ${ev.topic} cross the road?` }); }
 *
 *   @step({ accepts: JokeEvent, emits: StopEvent })
 *   async critique(ev: JokeEvent) { return new StopEvent({ result: `Critique of: ${ev.joke}` }); }
 * }
 *
 * console.log(await new JokeFlow({ timeout: 60 }).run({ topic: "pirates" }));
 *
 * @module
 */
import "./internal/metadata.js";

export type { ContextOptions, RetryInfo, WaitForEventOptions } from "./context.js";
export { Context } from "./context.js";
export type {
  EventFieldIssue,
  EventValidationErrorCode,
  EventValidationErrorDetails,
  RunAdmissionCode,
  SnapshotErrorCode,
  SnapshotErrorDetails,
  StepwiseErrorCode,
  StepwiseErrorOptions,
  ValidationCode,
  ValidationProblem,
  WorkflowCancelledErrorCode,
  WorkflowRuntimeErrorArgs,
  WorkflowRuntimeErrorCode,
  WorkflowRuntimeErrorDetails,
  WorkflowTimeoutErrorCode,
  WorkflowTimeoutErrorDetails,
  WorkflowValidationErrorCode,
} from "./errors.js";
// Errors: every error stepwise throws, each with a `code` from its class's union.
export {
  EventValidationError,
  RunAdmissionError,
  SnapshotError,
  StepwiseError,
  WorkflowCancelledError,
  WorkflowRuntimeError,
  WorkflowTimeoutError,
  WorkflowValidationError,
} from "./errors.js";
export type {
  DefinedEvent,
  EventClass,
  EventFieldName,
  EventFieldValue,
  EventJSON,
  EventRole,
  InstanceOfEvents,
} from "./events.js";
// Events: typed data carriers, and the events the engine itself publishes.
export {
  Event,
  Event as WorkflowEvent,
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
} from "./events.js";
export type { ErrorClass } from "./failure.js";
// Failures: errors as data across journals and snapshots; errors no retry can mend.
export { isNonRetryable, nonRetryable } from "./failure.js";
export type { GraphEdge, GraphNode, WorkflowGraph } from "./graph.js";
export type { StreamEventsOptions } from "./handler.js";
// Running: the handler, the context and its store, snapshots, traces.
export { WorkflowHandler } from "./handler.js";
export type { JournalErrorCode } from "./journal-error.js";
// Errors of journals (durable runtimes): a journal that cannot be written or read back.
export { JournalError } from "./journal-error.js";
export type {
  RetryPolicy,
  RetryPolicyOptions,
  RetryPredicate,
  RetryState,
  Stop,
  Wait,
} from "./retry.js";
// Retries: policies built from waits, stops and predicates.
export {
  retryAll,
  retryAlways,
  retryAny,
  retryIfError,
  retryIfErrorCauseType,
  retryIfErrorMessage,
  retryIfErrorType,
  retryIfNotErrorMessage,
  retryIfNotErrorType,
  retryNever,
  retryPolicy,
  retrySeed,
  retryUnlessErrorType,
  stopAfterAttempt,
  stopAfterDelay,
  stopAll,
  stopAny,
  stopBeforeDelay,
  stopNever,
  waitChain,
  waitCombine,
  waitExponential,
  waitExponentialJitter,
  waitFixed,
  waitFullJitter,
  waitIncrementing,
  waitNone,
  waitRandom,
  waitRandomExponential,
} from "./retry.js";
export type { RunSummary, Runtime } from "./runtime/adapter.js";
export type { Clock } from "./runtime/clock.js";
export { TestClock } from "./runtime/clock.js";
export type { InMemoryRuntimeOptions } from "./runtime/in-memory.js";
// Runtimes: where runs execute, and the clocks they use.
export { InMemoryRuntime } from "./runtime/in-memory.js";
export type { RunEnd, RunObserver, RunView } from "./runtime/observer.js";
export type { LoggedEvent, SubscribeOptions } from "./runtime/run-log.js";
export type { ContextSnapshot, StoreSerializer } from "./snapshot.js";
export { jsonSerializer } from "./snapshot.js";
export { StateStore } from "./state-store.js";
export type {
  CatchErrorOptions,
  CollectOption,
  EventClasses,
  StepDecorator,
  StepFunction,
  StepInput,
  StepMethodCheck,
  StepOptions,
  StepOutput,
  StepReturn,
  StepWorkflowCheck,
} from "./step.js";
export { catchError, step } from "./step.js";
export type { StepGraphCheck } from "./step-registry.js";
export type { TestRunOptions, WorkflowTestResult } from "./testing.js";
// Testing your own workflows.
export { WorkflowTestRunner } from "./testing.js";
export type { RunTrace, TraceEvent, TraceInvocation, TraceStatus } from "./trace.js";
export type { GraphCheckName } from "./validate.js";
export type {
  RunOptions,
  WorkflowOptions,
  WorkflowTypes,
  WorkflowWithStep,
} from "./workflow.js";
// Workflows and steps.
export { getWorkflowGraph, Workflow } from "./workflow.js";
