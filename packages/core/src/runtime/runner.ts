/**
 * Drives the control loop for one run: feeds ticks to `reduce`, performs the commands it
 * returns, runs step functions, and turns what they do into new ticks. All I/O of a run
 * (timers, the stream, user code) happens here, never in `reduce`.
 */
import type { Command } from "../control-loop/commands.js";
import { reduceInto } from "../control-loop/reduce.js";
import type { RunState } from "../control-loop/run-state.js";
import type {
  EventRecord,
  StepOutcome,
  Tick,
  WaiterSpec,
  WorkItem,
} from "../control-loop/ticks.js";
import {
  errorText,
  toError,
  WorkflowCancelledError,
  WorkflowRuntimeError,
  WorkflowTimeoutError,
} from "../errors.js";
import { EventStream } from "../event-stream.js";
import {
  createEventUnchecked,
  Event,
  type EventClass,
  type EventRole,
  eventRole,
  StepFailedEvent,
  StepStateChanged,
  StopEvent,
  UnhandledEvent,
  WorkflowCancelledEvent,
  WorkflowFailedEvent,
  WorkflowIdleEvent,
  WorkflowTimedOutEvent,
} from "../events.js";
import { createDeferred } from "../internal/deferred.js";
import { describeValue } from "../internal/describe.js";
import { retrySeed } from "../retry.js";
import type { RunTrace } from "../trace.js";
import type { RunAdapter } from "./adapter.js";
import type { Clock } from "./clock.js";
import { describeIdle } from "./idle-report.js";
import type { StepInfo, WorkflowSpec } from "./spec.js";
import { TraceRecorder } from "./trace-recorder.js";

/** Performs each command type on a runner: a missing command type does not compile. */
type RunnerCommandHandlers = {
  readonly [K in Command["type"]]: (runner: Runner, command: Extract<Command, { type: K }>) => void;
};

/** One call of a step function. */
export interface Invocation {
  readonly info: StepInfo;
  readonly workerId: number;
  readonly item: WorkItem;
  readonly seq: number;
  /** Set once its result (or its wait) has been handed to the loop; later results are ignored. */
  done: boolean;
  /** Set when it parked in `waitForEvent`: its body must never settle after that. */
  parked?: boolean;
  /** Its index in the run's trace, or -1 when the run records none. */
  readonly traceIndex: number;
}

/** Creates the context a step receives; supplied by the workflow so the runner need not import it. */
export type StepContextFactory = (runner: Runner, invocation: Invocation) => unknown;

/** Everything a run starts from. */
export interface RunnerInit {
  readonly spec: WorkflowSpec;
  readonly adapter: RunAdapter;
  readonly runId: string;
  /** The start event of a new run, or null to resume `state`. */
  readonly startEvent: Event | null;
  /** A fresh state, or one restored from a snapshot. */
  readonly state: RunState;
  readonly stepContext: StepContextFactory;
}

interface ClassInfo {
  readonly type: string;
  readonly role: EventRole;
}

const classInfos = new WeakMap<object, ClassInfo>();

function classInfo(cls: EventClass): ClassInfo {
  let info = classInfos.get(cls);
  if (!info) {
    info = { type: cls.eventType, role: eventRole(cls) };
    classInfos.set(cls, info);
  }
  return info;
}

const NO_EVENT: StepOutcome = { kind: "none" };

function isThenable(value: unknown): value is PromiseLike<unknown> {
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
const CHECK_EVERY = 128;
/** Longest stretch (ms of real time) of ticks before runs let the event loop run. */
const SLICE_MS = 10;

const setImmediateFn = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
/** Runs `fn` on a later macrotask: `setImmediate` where there is one (Node), else a 0 ms timer. */
const nextTurn: (fn: () => void) => void =
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
function sliceOver(): boolean {
  const now = realNow();
  if (sliceStart < 0) {
    sliceStart = now;
    nextTurn(markTurn);
    return false;
  }
  return now - sliceStart > SLICE_MS;
}

/** Runs one workflow run. Made by `Workflow.run()`; runtimes reach it through `./runtime`. */
export class Runner {
  readonly runId: string;
  readonly spec: WorkflowSpec;
  readonly stream = new EventStream();
  readonly #adapter: RunAdapter;
  readonly #clock: Clock;
  readonly #stepContext: StepContextFactory;
  readonly #state: RunState;
  readonly #result = createDeferred<unknown>();
  readonly #timers = new Map<string, unknown>();
  /** Ticks waiting to be applied, from `#bufferHead` on (an index, so taking one is O(1)). */
  #buffer: (Tick | undefined)[] = [];
  #bufferHead = 0;
  readonly #trace: TraceRecorder | null;
  readonly #endListeners: (() => void)[] = [];
  #startTick: Tick;
  #started = false;
  #draining = false;
  /** Set while the run lets the event loop have a turn: ticks wait in the buffer. */
  #paused = false;
  /** Ticks applied since the last look at the time. */
  #sliceTicks = 0;
  #ended = false;
  #eventId: number;
  /** The time of the tick or step result being handled, read once and shared by what it records. */
  #now = 0;
  #abort: AbortController | null = null;
  #collectAnswer: Readonly<Record<string, readonly EventRecord[]>> | null = null;
  readonly #spareCommands: Command[][] = [];
  /** Steps whose latest invocation returned no event although they declare `emits`. */
  #silent: Set<string> | null = null;

  /** How each command is performed: one shared table, so a run allocates no handlers. */
  static readonly #handlers: RunnerCommandHandlers = {
    runWorker: (r, c) => r.#runWorker(c.step, c.workerId, c.item, c.invocation),
    enqueued: (r, c) => {
      if (r.stream.wantsInternal)
        r.#stepState(c.step, "preparing", "<enqueued>", c.item.event.type, null);
      r.spec.log?.(`[${c.step}] enqueued (waiting for capacity)`);
    },
    publish: (r, c) => r.#publish(c.event),
    unhandled: (r, c) => {
      if (!r.stream.wantsInternal) return;
      const idle = r.#state.active === 0 && r.#state.queued === 0;
      r.#internal(
        createEventUnchecked(UnhandledEvent, { eventType: c.event.type, stepName: c.step, idle }),
      );
    },
    idle: (r) => {
      r.spec.log?.(`[idle] nothing is running or queued; ${describeIdle(r.#state, r.#silent)}.`);
      r.#internal(createEventUnchecked(WorkflowIdleEvent, {}));
    },
    scheduleIdleCheck: (r) => {
      globalThis.setTimeout(() => r.dispatch({ type: "idleCheck" }), 0);
    },
    setTimer: (r, c) => {
      const fire = () => {
        r.#timers.delete(c.id);
        r.dispatch({ type: "timer", id: c.id });
      };
      r.#timers.set(c.id, r.#clock.setTimeout(fire, Math.max(0, c.dueAt - r.#clock.now())));
    },
    clearTimer: (r, c) => {
      const handle = r.#timers.get(c.id);
      if (handle === undefined) return;
      r.#clock.clearTimeout(handle);
      r.#timers.delete(c.id);
    },
    collected: (r, c) => {
      r.#collectAnswer = c.events;
    },
    recover: (r, c) => {
      const failed = new StepFailedEvent({
        stepName: c.failedStep,
        inputEvent: c.item.event.value as Event,
        error: errorValue(c.error),
        attempts: c.attempts,
        elapsedSeconds: c.elapsedMs / 1000,
        failedAt: new Date(c.failedAt),
      });
      const record = r.#record(failed, null);
      // The engine sends it on behalf of the failed attempt, so the trace names that attempt.
      r.#trace?.attributeToLastAttempt(record.id, c.failedStep, c.item.event.id);
      r.dispatch({
        type: "addEvent",
        event: record,
        step: c.handler,
        recoveries: c.recoveries,
        scope: c.item.scope ?? null,
      });
    },
    complete: (r, c) => {
      const stop = c.event.value as Event;
      r.#publish(c.event);
      const result = stop.constructor === StopEvent ? (stop as StopEvent).result : stop;
      r.#end("completed", { ok: true, value: result }, stop);
    },
    fail: (r, c) => {
      const error = errorValue(c.error);
      const event = createEventUnchecked(WorkflowFailedEvent, {
        stepName: c.step,
        error,
        attempts: c.attempts,
        elapsedSeconds: c.elapsedMs / 1000,
      });
      r.stream.push(event, false);
      r.#end("failed", { ok: false, error }, event);
    },
    timedOut: (r, c) => {
      const timeout = c.timeoutMs === null ? null : c.timeoutMs / 1000;
      const quiet = r.#state.active === 0 && r.#state.queued === 0 && r.#state.retriesPending === 0;
      const advice = quiet
        ? `No steps active: ${describeIdle(r.#state, r.#silent)}, or raise the workflow's \`timeout\` (seconds) if that takes longer.`
        : `Currently active steps: ${c.activeSteps.length > 0 ? c.activeSteps.join(", ") : "none (work is queued or waiting to retry)"}. Raise the workflow's \`timeout\` (seconds), or pass \`timeout: null\` for none.`;
      const error = new WorkflowTimeoutError(
        `Operation timed out after ${timeout} seconds. ${advice}`,
        timeout,
        c.activeSteps,
      );
      const event = createEventUnchecked(WorkflowTimedOutEvent, {
        timeout,
        activeSteps: [...c.activeSteps],
      });
      r.stream.push(event, false);
      r.#end("timedOut", { ok: false, error }, event);
    },
    cancelled: (r) => {
      const event = createEventUnchecked(WorkflowCancelledEvent, {});
      r.stream.push(event, false);
      r.#end("cancelled", { ok: false, error: new WorkflowCancelledError() }, event);
    },
  };

  constructor(init: RunnerInit) {
    this.spec = init.spec;
    this.runId = init.runId;
    this.#adapter = init.adapter;
    this.#clock = init.adapter.clock;
    this.#stepContext = init.stepContext;
    this.#state = init.state;
    this.#eventId = init.state.lastEventId;
    this.#result.promise.catch(() => {});
    this.#now = this.#clock.now();
    this.#trace = init.spec.trace
      ? new TraceRecorder(init.spec.name, init.runId, this.#now, this.#eventId)
      : null;
    const timeoutMs = init.spec.timeoutMs;
    this.#startTick = init.startEvent
      ? { type: "start", event: this.#record(init.startEvent, null), timeoutMs }
      : { type: "resume", timeoutMs };
  }

  /** The run's state (owned by the loop: read it, never change it). */
  get state(): RunState {
    return this.#state;
  }

  /** Settles with the run's result, or rejects with its error. Never rejects unhandled. */
  get result(): Promise<unknown> {
    return this.#result.promise;
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  get clock(): Clock {
    return this.#clock;
  }

  /** Aborted when the run ends for any reason (stop, failure, cancel, timeout). */
  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.#ended) this.#abort.abort(new WorkflowCancelledError("The workflow run has ended."));
    }
    return this.#abort.signal;
  }

  /** What the run did so far. */
  trace(): RunTrace {
    if (!this.#trace) {
      throw new WorkflowRuntimeError(
        "This run recorded no trace: the workflow was made with `trace: false`. Leave it on to draw runs.",
      );
    }
    return this.#trace.toTrace();
  }

  /** Calls `listener` once the run has ended. */
  onEnd(listener: () => void): void {
    if (this.#ended) listener();
    else this.#endListeners.push(listener);
  }

  /** Starts (or resumes) the run; ticks dispatched before this wait for it. */
  start(): void {
    if (this.#started || this.#ended) return;
    this.#started = true;
    this.#buffer = [this.#startTick, ...this.#buffer.slice(this.#bufferHead)];
    this.#bufferHead = 0;
    this.#drain();
  }

  /** Queues a tick and drains the queue unless a drain is already under way. */
  dispatch(tick: Tick): void {
    if (this.#ended) return;
    this.#buffer.push(tick);
    if (this.#started && !this.#draining && !this.#paused) this.#drain();
  }

  #drain(): void {
    this.#draining = true;
    let paused = false;
    try {
      const buffer = this.#buffer;
      let applied = 0;
      while (this.#bufferHead < buffer.length && !this.#ended) {
        if (++this.#sliceTicks >= CHECK_EVERY) {
          this.#sliceTicks = 0;
          if (sliceOver()) {
            paused = true;
            break;
          }
        }
        const tick = buffer[this.#bufferHead] as Tick;
        buffer[this.#bufferHead++] = undefined;
        // One clock read per 64 ticks of a drain: a drain is one synchronous burst, and the
        // clock (ms) barely moves inside it; timers and traces keep millisecond accuracy.
        if ((applied++ & 63) === 0) this.#now = this.#clock.now();
        this.#apply(tick, this.#now);
      }
    } catch (error) {
      this.#crash(error);
    } finally {
      if (paused && !this.#ended) {
        this.#buffer = this.#buffer.slice(this.#bufferHead);
        this.#pause();
      } else this.#buffer.length = 0;
      this.#bufferHead = 0;
      this.#draining = false;
    }
  }

  /** Lets the event loop run (timers, I/O, other runs), then carries on with the buffer. */
  #pause(): void {
    this.#paused = true;
    nextTurn(() => {
      this.#paused = false;
      if (!this.#ended && !this.#draining) this.#drain();
    });
  }

  #apply(tick: Tick, now: number): void {
    this.#now = now;
    this.#adapter.onTick?.(tick, now);
    // Command arrays are reused; a `collect` tick applied from inside a command takes another.
    const commands = this.#spareCommands.pop() ?? [];
    reduceInto(this.#state, tick, now, commands);
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i] as Command;
      (Runner.#handlers[command.type] as (r: Runner, c: Command) => void)(this, command);
    }
    commands.length = 0;
    this.#spareCommands.push(commands);
  }

  #crash(error: unknown): void {
    const cause = toError(error);
    const wrapped = new WorkflowRuntimeError(
      `The workflow engine failed: ${errorText(cause).message}`,
      { cause },
    );
    this.#end("failed", { ok: false, error: wrapped }, null);
  }

  // --- events -------------------------------------------------------------------------------

  #record(event: Event, producer: Invocation | null): EventRecord {
    const cls = event.constructor as EventClass;
    const info = classInfo(cls);
    this.spec.ensureRoute?.(cls);
    const id = ++this.#eventId;
    this.#trace?.event(info.type, this.#now, producer ? producer.seq : 0);
    return { id, type: info.type, role: info.role, value: event };
  }

  #publish(record: EventRecord): void {
    this.#trace?.published(record.id);
    this.stream.push(record.value as Event, false);
  }

  #internal(event: Event): void {
    this.stream.push(event, true);
  }

  #stepState(
    name: string,
    stepState: "preparing" | "running" | "notRunning",
    workerId: number | "<enqueued>",
    inputEventName: string,
    outputEventName: string | null,
  ): void {
    this.#internal(
      createEventUnchecked(StepStateChanged, {
        name,
        stepState,
        workerId,
        inputEventName,
        outputEventName,
      }),
    );
  }

  /**
   * Sends an event into the run: to every step that accepts it, or to `step` only.
   * @throws {@link WorkflowRuntimeError} for an unknown step, a step that does not accept the
   * event, or a run that has ended (from outside a step).
   */
  send(event: unknown, step: string | undefined, from: Invocation | null): void {
    if (!(event instanceof Event)) {
      throw new WorkflowRuntimeError(
        `\`sendEvent()\` takes an event instance; got ${describeValue(event)}.`,
      );
    }
    if (this.#ended) {
      if (from) return;
      throw new WorkflowRuntimeError(
        `Run \`${this.runId}\` of ${this.spec.name} has already ended; it accepts no more events.`,
      );
    }
    if (step !== undefined) this.#checkTarget(event, step);
    const recoveries = from ? from.item.recoveries : null;
    if (!this.#draining) this.#now = this.#clock.now();
    this.dispatch({
      type: "addEvent",
      event: this.#record(event, from),
      step: step ?? null,
      recoveries,
    });
  }

  #checkTarget(event: Event, step: string): void {
    const info = this.spec.steps.get(step);
    const type = classInfo(event.constructor as EventClass).type;
    if (!info) {
      const known = [...this.spec.steps.keys()].map((s) => `\`${s}\``).join(", ");
      throw new WorkflowRuntimeError(
        `Step \`${step}\` does not exist in ${this.spec.name}. Known steps: ${known}.`,
      );
    }
    const receives =
      info.acceptsTypes.has(type) ||
      (info.acceptSubclasses &&
        info.accepts.some((accepted) => event instanceof (accepted as unknown as typeof Event)));
    if (!receives) {
      const accepted = [...info.acceptsTypes].map((s) => `\`${s}\``).join(", ");
      throw new WorkflowRuntimeError(
        `Step \`${step}\` does not accept event of type \`${type}\`; it accepts ${accepted}.`,
      );
    }
  }

  /** Puts a step's event on the stream (dropped once the run has ended). */
  writeToStream(event: unknown): void {
    if (event === null || event === undefined) return;
    if (!(event instanceof Event)) {
      throw new WorkflowRuntimeError(
        `\`writeEventToStream()\` takes an event instance; got ${describeValue(event)}.`,
      );
    }
    if (!this.#ended) this.stream.push(event, false);
  }

  /**
   * Buffers `event` for a step's `collectEvents` and answers at once: the events by type once
   * every expected one has arrived, else null.
   */
  collect(
    invocation: Invocation,
    bufferId: string,
    event: Event,
    expected: Readonly<Record<string, number>>,
  ): Readonly<Record<string, readonly EventRecord[]>> | null {
    if (this.#ended) return null;
    const own = invocation.item.event;
    if (own.value !== event && !this.#draining) this.#now = this.#clock.now();
    const record = own.value === event ? own : this.#record(event, invocation);
    this.#collectAnswer = null;
    const workerId = invocation.done ? -1 : invocation.workerId;
    const now = this.#draining ? this.#now : this.#clock.now();
    this.#apply(
      { type: "collect", step: invocation.info.name, workerId, bufferId, event: record, expected },
      now,
    );
    return this.#collectAnswer;
  }

  /** Parks an invocation on a waiter; the step runs again once the waiter resolves or times out. */
  wait(invocation: Invocation, waiter: WaiterSpec, waiterEvent: Event | null): void {
    if (invocation.done || this.#ended) return;
    invocation.done = true;
    invocation.parked = true;
    this.#now = this.#clock.now();
    if (this.#trace) this.#trace.ended(invocation.traceIndex, this.#now, "waiting", null);
    const name = invocation.info.name;
    if (this.stream.wantsInternal)
      this.#stepState(name, "notRunning", invocation.workerId, invocation.item.event.type, null);
    this.spec.log?.(`[${name}:${invocation.workerId}] waiting for ${waiter.eventType}`);
    const record = waiterEvent ? this.#record(waiterEvent, invocation) : null;
    this.dispatch({
      type: "wait",
      step: name,
      workerId: invocation.workerId,
      waiter,
      waiterEvent: record,
    });
  }

  /** Cancels the run (no-op once it has ended). */
  cancel(): void {
    if (this.#started) this.dispatch({ type: "cancel" });
    else Runner.#handlers.cancelled(this, { type: "cancelled" });
  }

  // --- steps --------------------------------------------------------------------------------

  #runWorker(name: string, workerId: number, item: WorkItem, seq: number): void {
    const info = this.spec.steps.get(name) as StepInfo;
    const traceIndex = this.#trace
      ? this.#trace.started(seq, name, workerId, item.event.id, item.attempts, this.#now)
      : -1;
    if (item.batch && this.#trace)
      this.#trace.batch(
        traceIndex,
        item.batch.map((r) => r.id),
      );
    const invocation: Invocation = { info, workerId, item, seq, done: false, traceIndex };
    if (this.stream.wantsInternal)
      this.#stepState(name, "running", workerId, item.event.type, null);
    this.spec.log?.(`[${name}:${workerId}] started from ${item.event.type}`);
    let output: unknown;
    try {
      output = info.fn.call(
        this.spec.workflow,
        item.batch ? item.batch.map((record) => record.value) : item.event.value,
        info.takesContext ? this.#stepContext(this, invocation) : undefined,
      );
    } catch (error) {
      this.#stepThrew(invocation, error);
      return;
    }
    if (!isThenable(output)) {
      this.#stepReturned(invocation, output);
      return;
    }
    try {
      output.then(
        (value) => this.#settled(invocation, value, false),
        (error: unknown) => this.#settled(invocation, error, true),
      );
    } catch (error) {
      this.#stepThrew(invocation, error);
    }
  }

  /** A step's promise settled: hand the result on, and never let an engine error escape as a rejection. */
  #settled(invocation: Invocation, value: unknown, threw: boolean): void {
    try {
      if (threw) this.#stepThrew(invocation, value);
      else this.#stepReturned(invocation, value);
    } catch (error) {
      this.#crash(error);
    }
  }

  #stepReturned(invocation: Invocation, value: unknown): void {
    if (invocation.parked) {
      this.#settledAfterWait(invocation, "returned");
      return;
    }
    if (invocation.done || this.#ended) return;
    invocation.done = true;
    this.#now = this.#clock.now();
    let outcome: StepOutcome;
    if (value === undefined || value === null) {
      outcome = NO_EVENT;
      if (invocation.info.declaresEmits) (this.#silent ??= new Set()).add(invocation.info.name);
    } else if (isEvent(value)) {
      this.#silent?.delete(invocation.info.name);
      outcome = { kind: "event", event: this.#record(value, invocation) };
    } else if (Array.isArray(value)) outcome = this.#fannedOut(invocation, value);
    else {
      const error = new WorkflowRuntimeError(
        `Step \`${invocation.info.name}\` returned ${describeValue(value)} instead of an Event instance. Return an event (or null to emit nothing).`,
      );
      outcome = this.#failure(invocation, error);
    }
    this.#finishInvocation(invocation, outcome);
  }

  /** A step returned an array: a fan-out when the step declares one, else a failure. */
  #fannedOut(invocation: Invocation, values: readonly unknown[]): StepOutcome {
    const name = invocation.info.name;
    if (!invocation.info.fanOut) {
      const error = new WorkflowRuntimeError(
        `Step \`${name}\` returned an array instead of an Event instance. To fan the events out as one collection, declare the step with \`fanOut: true\`; otherwise return one event (or null).`,
      );
      return this.#failure(invocation, error);
    }
    const stray = values.findIndex((value) => !isEvent(value));
    if (stray !== -1) {
      const error = new WorkflowRuntimeError(
        `Step \`${name}\` returned an array whose item ${stray} is ${describeValue(values[stray])}, not an Event instance. A fan-out returns an array of events.`,
      );
      return this.#failure(invocation, error);
    }
    const events = values.map((value) => this.#record(value as Event, invocation));
    return { kind: "events", events };
  }

  #stepThrew(invocation: Invocation, thrown: unknown): void {
    if (invocation.parked) {
      this.#settledAfterWait(invocation, "threw");
      return;
    }
    if (invocation.done || this.#ended) return;
    invocation.done = true;
    this.#now = this.#clock.now();
    this.#finishInvocation(invocation, this.#failure(invocation, toError(thrown)));
  }

  /**
   * A step body went on after `waitForEvent` parked it (the wait was raced or not awaited). Its
   * worker is already free and the step will run again from the top when the event arrives, so
   * what the body does now cannot be honoured: the run fails, saying how to wait instead.
   */
  #settledAfterWait(invocation: Invocation, how: "returned" | "threw"): void {
    if (this.#ended) return;
    invocation.parked = false;
    const name = invocation.info.name;
    const error = new WorkflowRuntimeError(
      `Step \`${name}\` ${how} after \`ctx.waitForEvent()\` had parked it: the wait was not awaited directly (raced with \`Promise.race\`, or left pending). A waiting step runs again from the top when the event arrives, so it must \`await ctx.waitForEvent(...)\` directly; for a deadline pass \`{ timeout }\` to \`waitForEvent\` and catch its \`WorkflowTimeoutError\`.`,
    );
    this.#now = this.#clock.now();
    this.dispatch({ type: "fault", step: name, error: { ...errorText(error), value: error } });
  }

  /** Decides, at the boundary, whether a failure is retried: the loop gets the delay as data. */
  #failure(invocation: Invocation, error: Error): StepOutcome {
    const policy = invocation.info.retry;
    let retryDelayMs: number | null = null;
    if (policy) {
      const attempts = invocation.item.attempts + 1;
      const now = this.#now;
      const elapsedSeconds = (now - (invocation.item.firstAttemptAt ?? now)) / 1000;
      let seconds: unknown = null;
      try {
        seconds = policy.next(elapsedSeconds, attempts, error, {
          seed: retrySeed(this.runId, invocation.info.name, attempts),
        });
      } catch (policyError) {
        const cause = toError(policyError);
        error = new WorkflowRuntimeError(
          `The retry policy of step \`${invocation.info.name}\` threw: ${errorText(cause).message}. The step's own error was: ${errorText(error).message}`,
          { cause },
        );
      }
      const delay = retryDelay(seconds, invocation.info.name, error);
      if (delay instanceof Error) error = delay;
      else retryDelayMs = delay;
    }
    return { kind: "failed", error: { ...errorText(error), value: error }, retryDelayMs };
  }

  #finishInvocation(invocation: Invocation, outcome: StepOutcome): void {
    const name = invocation.info.name;
    const output = outcome.kind === "event" ? outcome.event.type : null;
    if (this.#trace) {
      const failed = outcome.kind === "failed";
      this.#trace.ended(
        invocation.traceIndex,
        this.#now,
        failed ? (outcome.retryDelayMs === null ? "failed" : "retrying") : "completed",
        failed ? `${outcome.error.name}: ${outcome.error.message}` : null,
      );
    }
    if (this.stream.wantsInternal)
      this.#stepState(name, "notRunning", invocation.workerId, invocation.item.event.type, output);
    const log = this.spec.log;
    if (log) {
      const prefix = `[${name}:${invocation.workerId}]`;
      if (outcome.kind === "event") log(`${prefix} complete with ${outcome.event.type}`);
      else if (outcome.kind === "events")
        log(`${prefix} complete, fanning out ${outcome.events.length} event(s)`);
      else if (outcome.kind === "none") log(`${prefix} complete with no event`);
      else if (outcome.retryDelayMs !== null)
        log(
          `${prefix} failed (${outcome.error.message}); retrying in ${outcome.retryDelayMs / 1000}s`,
        );
      else log(`${prefix} failed: ${outcome.error.message}`);
    }
    this.dispatch({ type: "stepResult", step: name, workerId: invocation.workerId, outcome });
  }

  // --- the end ------------------------------------------------------------------------------

  #end(
    status: RunTrace["status"],
    outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
    terminal: Event | null,
  ): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#buffer.length = 0;
    this.#bufferHead = 0;
    for (const handle of this.#timers.values()) this.#clock.clearTimeout(handle);
    this.#timers.clear();
    this.#abort?.abort(new WorkflowCancelledError(`The workflow run ended (${status}).`));
    if (this.#trace) {
      const at = this.#clock.now();
      if (terminal && status !== "completed") {
        // The engine's own terminal event (failed, timed out, cancelled) closes the drawing too.
        ++this.#eventId;
        this.#trace.event(classInfo(terminal.constructor as EventClass).type, at, 0);
        this.#trace.published(this.#eventId);
      }
      this.#trace.finish(status, at);
    }
    this.stream.close();
    if (this.spec.log) {
      const shown = outcome.ok
        ? describeResult(terminal, outcome.value)
        : `${status}: ${toError(outcome.error).message}`;
      this.spec.log(`[result] ${shown}`);
    }
    if (outcome.ok) this.#result.resolve(outcome.value);
    else this.#result.reject(outcome.error);
    this.#adapter.onEnd?.();
    const listeners = this.#endListeners.splice(0);
    for (const listener of listeners) listener();
  }
}

/** Whether a value is an event, even when it is a proxy whose traps throw. */
function isEvent(value: unknown): value is Event {
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
function retryDelay(seconds: unknown, step: string, error: Error): number | null | Error {
  if (seconds === null || seconds === undefined) return null;
  if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const got = isThenable(seconds)
    ? "a promise (retry policies are synchronous)"
    : describeValue(seconds);
  return new WorkflowRuntimeError(
    `The retry policy of step \`${step}\` returned ${got}; \`next()\` must return the seconds to wait (a finite number >= 0), or null to stop retrying. The step's own error was: ${errorText(error).message}`,
    { cause: error },
  );
}

function errorValue(info: { name: string; message: string; value?: unknown }): Error {
  if (info.value instanceof Error) return info.value;
  // The loop's own failures (a fan-out that can never complete) arrive as data.
  if (info.value === undefined && info.name === "WorkflowRuntimeError")
    return new WorkflowRuntimeError(info.message);
  const error = new Error(info.message);
  error.name = info.name;
  return error;
}

function describeResult(terminal: Event | null, value: unknown): string {
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
