/**
 * For runtime authors (e.g. `@stepwise/dbos`): the control loop, its ticks and commands, and the
 * interfaces a runtime implements. This entry changes with the engine; users need `"."` only.
 *
 * @module
 */
import "./internal/metadata.js";

export type { Command, CommandHandlers } from "./control-loop/commands.js";
export type { Transition } from "./control-loop/reduce.js";
export { reduce } from "./control-loop/reduce.js";
export type {
  CollectBuffer,
  RunConfig,
  RunState,
  RunStatus,
  StepConfig,
  StepRunState,
  TimerState,
  Waiter,
  Worker,
} from "./control-loop/run-state.js";
export { activeSteps, initialRunState } from "./control-loop/run-state.js";
export type {
  ErrorInfo,
  EventRecord,
  Recoveries,
  StepOutcome,
  Tick,
  TimedTick,
  WaiterSpec,
  WorkItem,
} from "./control-loop/ticks.js";
export type { EventRegistry } from "./event-codec.js";
export {
  createEventRegistry,
  decodeEvent,
  decodeValue,
  encodeEvent,
  encodeValue,
} from "./event-codec.js";
export type { BuiltInErrorName, ErrorRegistry, FailureJson } from "./failure.js";
export {
  createErrorRegistry,
  decodeFailure,
  defaultErrorRegistry,
  encodeFailure,
  errorClassProblems,
  isFailureJson,
} from "./failure.js";
export type { RunHandle } from "./handler.js";
export type {
  HandlerRow,
  HandlerRowQuery,
  JournalBatch,
  JournalEntry,
  PublishedEntry,
  RunEndStatus,
  RunInfo,
  RunJournal,
  RunServices,
  RunSummary,
  Runtime,
  StartRunRequest,
} from "./runtime/adapter.js";
export type { Clock } from "./runtime/clock.js";
export { systemClock, TestClock } from "./runtime/clock.js";
export { defaultRuntime, InMemoryRuntime } from "./runtime/in-memory.js";
export type { ChannelHost, StepChannel, WaiterStatus } from "./runtime/invocation.js";
export { Invocation } from "./runtime/invocation.js";
export type { LocalRuntimeOptions, StoredRun } from "./runtime/local-runtime.js";
export { LocalRuntime } from "./runtime/local-runtime.js";
export type { RunEnd, RunObserver, RunView } from "./runtime/observer.js";
export type { RebuiltRun } from "./runtime/rebuild.js";
export { rebuildRun } from "./runtime/rebuild.js";
export type { LoggedEvent, SubscribeOptions } from "./runtime/run-log.js";
export { RunLog } from "./runtime/run-log.js";
export type { RunnerInit } from "./runtime/runner.js";
export { Runner } from "./runtime/runner.js";
export type { StepInfo, WorkflowSpec } from "./runtime/spec.js";
export { checkSendTarget } from "./runtime/spec.js";
export type { DecodeTickOptions } from "./runtime/tick-codec.js";
export {
  decodePublished,
  decodeTick,
  encodeForRun,
  encodePublished,
  encodeTick,
  errorForRun,
  TICK_FORMAT_VERSION,
} from "./runtime/tick-codec.js";
export { runnerOf, workflowSpec } from "./workflow.js";
