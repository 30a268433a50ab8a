/**
 * Drives the control loop for one run: feeds ticks to `reduce` in batches, journals each batch
 * before its effects are seen, performs the commands `reduce` returns, runs step functions, and
 * turns what they do into new ticks. All I/O of a run (timers, the log, user code) happens here
 * or in what it calls, never in `reduce`. See ARCHITECTURE.md beside `packages/core`.
 */

import type { Context } from "../context.js";
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
import type { EventRegistry } from "../event-codec.js";
import {
  createEventUnchecked,
  type Event,
  type EventClass,
  StepFailedEvent,
  StopEvent,
  WorkflowCancelledEvent,
  WorkflowFailedEvent,
  WorkflowTimedOutEvent,
} from "../events.js";
import { isNonRetryable } from "../failure.js";
import { WorkflowHandler } from "../handler.js";
import { createDeferred, type Deferred } from "../internal/deferred.js";
import { describeValue } from "../internal/describe.js";
import { keepShape } from "../internal/shapes.js";
import { retrySeed } from "../retry.js";
import { copyState } from "../state-store.js";
import type { RunTrace } from "../trace.js";
import type {
  JournalEntry,
  PublishedEntry,
  RunEndStatus,
  RunJournal,
  RunServices,
} from "./adapter.js";
import type { Clock } from "./clock.js";
import { type Deadline, type DeadlineTarget, deadlinesOf } from "./deadlines.js";
import { describeIdle } from "./idle-report.js";
import { IdleEntry, RestoredInternal, StepStateEntry, UnhandledEntry } from "./internal-events.js";
import { type ChannelHost, Invocation, type WaiterStatus } from "./invocation.js";
import {
  CHECK_EVERY,
  classInfo,
  clearArray,
  describeResult,
  errorValue,
  isEvent,
  isThenable,
  nextTurn,
  retryDelay,
  sliceOver,
} from "./loop-support.js";
import type { RunEnd, RunObserver, RunView } from "./observer.js";
import { type InternalEntry, type LoggedEvent, RunLog, type SubscribeOptions } from "./run-log.js";
import { checkSendTarget, type StepInfo, type WorkflowSpec } from "./spec.js";
import { TraceRecorder } from "./trace-recorder.js";

export { Invocation } from "./invocation.js";

/** Performs each command type on a runner: a missing command type does not compile. */
type RunnerCommandHandlers = {
  readonly [K in Command["type"]]: (runner: Runner, command: Extract<Command, { type: K }>) => void;
};

/**
 * Creates the context a step receives from the run's context; supplied by the runtime (one
 * function for all runs) so the runner need not import it.
 */
export type StepContextFactory = (ctx: unknown, runner: Runner, invocation: Invocation) => unknown;

/** Everything a run starts from. */
export interface RunnerInit {
  readonly spec: WorkflowSpec;
  readonly services: RunServices;
  readonly runId: string;
  /** The start event of a new run, or null to resume `state`. */
  readonly startEvent: Event | null;
  /** A fresh state, or one restored from a snapshot or rebuilt from a journal. */
  readonly state: RunState;
  /** What a rebuilt run had already published: its log continues after them. */
  readonly published?: readonly PublishedEntry[];
  /** The keys of the stream writes a rebuilt run's journal holds. */
  readonly replayedWrites?: ReadonlySet<string>;
  readonly stepContext: StepContextFactory;
  /** The run's context (`handler.ctx`), handed to `stepContext`. */
  readonly ctx: unknown;
}

/** A worker start held back until its batch is journaled. */
interface HeldStart {
  readonly step: string;
  readonly workerId: number;
  readonly item: WorkItem;
  readonly invocation: number;
}

const NO_EVENT: StepOutcome = { kind: "none" };

/** The journal buffers of a run without a journal: never pushed to. */
const NONE: readonly never[] = Object.freeze([]);

/** The observer calls whose first argument is the run. */
const RUN_CALLS: ReadonlySet<keyof RunObserver> = new Set<keyof RunObserver>([
  "runCreated",
  "runStarted",
  "waitEnded",
  "timerFired",
  "eventPublished",
  "runEnded",
]);

/**
 * Command arrays for `#apply`, shared by every run: an apply takes one and gives it back
 * emptied. One applied from inside another (a step sending to another run) takes another.
 */
const spareCommands: Command[][] = [];

function ignore(): void {}

/** The workflow's observers and the runtime's, or null when there are none (no array per run). */
function joinObservers(
  own: readonly RunObserver[] | undefined,
  shared: readonly RunObserver[],
): readonly RunObserver[] | null {
  if (!own || own.length === 0) return shared.length > 0 ? shared : null;
  return shared.length > 0 ? [...own, ...shared] : own;
}

/** Runs one workflow run. Made by a runtime (`LocalRuntime.startRun`). */
export class Runner implements ChannelHost, DeadlineTarget {
  readonly runId: string;
  readonly spec: WorkflowSpec;
  /** Everything the run published, numbered. */
  readonly eventLog = new RunLog();
  readonly #clock: Clock;
  readonly #journal: RunJournal | null;
  readonly #observers: readonly RunObserver[] | null;
  readonly #keepEvents: boolean;
  readonly #stepContext: StepContextFactory;
  readonly #ctx: unknown;
  readonly #onEnded: ((runner: Runner) => void) | undefined;
  readonly #state: RunState;
  /** Settles the run's result; dropped once it has (a finished run kept by its handler keeps less). */
  #settler: Deferred<unknown> | null = createDeferred<unknown>();
  readonly #result: Promise<unknown> = (this.#settler as Deferred<unknown>).promise;
  /** The run timeout's entry in the clock's deadline queue (see deadlines.ts). */
  #timeout: Deadline | null = null;
  /** Every other timer by id (retries, waiter timeouts, the idle check): made for the first. */
  #timers: Map<string, unknown> | null = null;
  /** Ticks waiting to be applied, from `#bufferHead` on (an index, so taking one is O(1)). */
  #buffer: (Tick | undefined)[] = [];
  #bufferHead = 0;
  readonly #trace: TraceRecorder;
  readonly #endListeners: (() => void)[] = [];
  #startTick: Tick;
  #started = false;
  #draining = false;
  /** Set while the run lets the event loop have a turn, or waits for its journal: ticks wait. */
  #paused = false;
  /** Ticks applied since the last look at the time. */
  #sliceTicks = 0;
  #ended = false;
  #cancelRequested = false;
  #eventId: number;
  /** The time of the tick or step result being handled, read once and shared by what it records. */
  #now = 0;
  /**
   * Set when `#now` was read for the tick about to be dispatched (a step's result, a sent event):
   * the drain that tick starts uses that reading instead of reading the clock again. Cleared by
   * every dispatch, so a reading never outlives the synchronous call that made it.
   */
  #fresh = false;
  #abort: AbortController | null = null;
  #collectAnswer: Readonly<Record<string, readonly EventRecord[]>> | null = null;
  /** Steps whose latest invocation returned no event although they declare `emits`. */
  #silent: Set<string> | null = null;
  /** With a journal: the ticks applied since the last append, and what they published. */
  /** Empty (shared, never written) without a journal: a run allocates nothing for it. */
  #entries: JournalEntry[] = NONE as unknown as JournalEntry[];
  #published: PublishedEntry[] = NONE as unknown as PublishedEntry[];
  #held: HeldStart[] = NONE as unknown as HeldStart[];
  #settle: (() => void) | null = null;
  #endedStatus: RunEndStatus | null = null;
  /** Whether the in-process reader (`streamEvents`) has been handed out. */
  #readerTaken = false;
  #failedObservers: Set<RunObserver> | null = null;
  readonly #replayedWrites: ReadonlySet<string> | null;

  /** How each command is performed: one shared table, so a run allocates no handlers. */
  static readonly #handlers: RunnerCommandHandlers = {
    runWorker: (r, c) => {
      if (r.#cancelRequested) return;
      if (r.#journal) r.#held.push(c);
      else r.#runWorker(c.step, c.workerId, c.item, c.invocation);
    },
    enqueued: (r, c) => {
      const trace = r.#trace;
      if (trace.hasEvent(c.item.event.id))
        r.#internalCode(trace.queuedCode(c.step, c.item.event.id));
      else
        r.#internal(new StepStateEntry(c.step, "preparing", "<enqueued>", c.item.event.type, null));
      r.spec.log?.(`[${c.step}] enqueued (waiting for capacity)`);
    },
    publish: (r, c) => r.#publish(c.event),
    write: (r, c) => r.#append(c.event as Event),
    unhandled: (r, c) => {
      const idle = r.#state.active === 0 && r.#state.queued === 0;
      r.#internal(new UnhandledEntry(c.event.type, c.step, idle));
    },
    idle: (r) => {
      r.spec.log?.(`[idle] nothing is running or queued; ${describeIdle(r.#state, r.#silent)}.`);
      r.#internal(new IdleEntry());
    },
    scheduleIdleCheck: (r) => {
      r.#arm("idle-check", 0, () => r.dispatch({ type: "idleCheck" }));
    },
    setTimer: (r, c) => {
      if (c.id === "timeout") {
        r.#armTimeout(c.dueAt);
        return;
      }
      const fire = () => {
        r.#observe("timerFired", c.id);
        r.dispatch({ type: "timer", id: c.id });
      };
      r.#arm(c.id, Math.max(0, c.dueAt - r.#clock.now()), fire);
    },
    clearTimer: (r, c) => r.#disarm(c.id),
    waitEnded: (r, c) => {
      if (r.#observers) r.#observe("waitEnded", c.step, c.waiterId, c.timedOut);
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
      r.#trace.attributeToLastAttempt(record.id, c.failedStep, c.item.event.id);
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
      const error = errorValue(c.error, c.step);
      const event = createEventUnchecked(WorkflowFailedEvent, {
        stepName: c.step,
        error,
        attempts: c.attempts,
        elapsedSeconds: c.elapsedMs / 1000,
      });
      r.#append(event);
      r.#end("failed", { ok: false, error }, event);
    },
    timedOut: (r, c) => {
      const timeout = c.timeoutMs === null ? null : c.timeoutMs / 1000;
      const quiet = r.#state.active === 0 && r.#state.queued === 0 && r.#state.retriesPending === 0;
      const error = new WorkflowTimeoutError("runTimeout", {
        timeout,
        activeSteps: c.activeSteps,
        ...(quiet ? { waitingFor: describeIdle(r.#state, r.#silent) } : {}),
      });
      const event = createEventUnchecked(WorkflowTimedOutEvent, {
        timeout,
        activeSteps: [...c.activeSteps],
      });
      r.#append(event);
      r.#end("timedOut", { ok: false, error }, event);
    },
    cancelled: (r) => {
      const event = createEventUnchecked(WorkflowCancelledEvent, {});
      r.#append(event);
      r.#end("cancelled", { ok: false, error: new WorkflowCancelledError("cancelled") }, event);
    },
  };

  constructor(init: RunnerInit) {
    this.spec = init.spec;
    this.runId = init.runId;
    this.#clock = init.services.clock;
    this.#journal = init.services.journal;
    if (this.#journal) {
      this.#entries = [];
      this.#published = [];
      this.#held = [];
    }
    this.#observers = joinObservers(init.spec.observers, init.services.observers);
    this.#keepEvents = init.services.keepEvents === true;
    this.#replayedWrites =
      init.replayedWrites && init.replayedWrites.size > 0 ? init.replayedWrites : null;
    this.#stepContext = init.stepContext;
    this.#ctx = init.ctx;
    this.#onEnded = init.services.ended;
    this.#state = init.state;
    this.#eventId = init.state.lastEventId;
    this.#result.catch(ignore);
    if (init.published)
      for (const entry of init.published)
        this.eventLog.append(entry.internal ? new RestoredInternal(entry.event) : entry.event);
    this.#now = this.#clock.now();
    // Recorded whether or not the workflow shows traces (`trace: false` only refuses
    // `handler.trace()`): its rows are also how the log keeps the run's internal events, as
    // numbers, where without them it would keep an object per step state change.
    this.#trace = new TraceRecorder(init.spec.name, init.runId, this.#now, this.#eventId);
    this.eventLog.resolveWith(this.#trace);
    const timeoutMs = init.spec.timeoutMs;
    this.#startTick = init.startEvent
      ? { type: "start", event: this.#record(init.startEvent, null), timeoutMs }
      : { type: "resume", timeoutMs };
    // Inside `run()`, before it returns: observers see the caller's context.
    if (this.#observers) this.#observe("runCreated", init.startEvent === null);
  }

  /** The run's state (owned by the loop: read it, never change it). */
  get state(): RunState {
    return this.#state;
  }

  /** Settles with the run's result, or rejects with its error. Never rejects unhandled. */
  get result(): Promise<unknown> {
    return this.#result;
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  get workflowName(): string {
    return this.spec.name;
  }

  /** The sequence number of the latest event on the run's log (-1 before the first). */
  get lastSeq(): number {
    return this.eventLog.nextSeq - 1;
  }

  /** Follows the run's log (see `RunLog.subscribe`). */
  subscribe(options: SubscribeOptions): AsyncIterable<LoggedEvent> {
    return this.eventLog.subscribe(options);
  }

  /**
   * Stops driving the run without ending it: nothing more is applied or journaled, timers are
   * cleared, steps still running are told through `ctx.signal` and their results are dropped,
   * the log's readers end. The run's result never settles here: the run goes on elsewhere
   * (rebuilt from its journal by a runtime that released it from memory, or took it over).
   * End listeners run, so the runtime frees its slot.
   */
  detach(): void {
    if (this.#ended) return;
    this.#stop("released");
    this.#held = [];
    this.#settle = null;
    this.eventLog.release();
    this.eventLog.close();
    this.#onEnded?.(this);
    const listeners = this.#endListeners.splice(0);
    for (const listener of listeners) listener();
  }

  get clock(): Clock {
    return this.#clock;
  }

  get registry(): EventRegistry {
    return this.spec.registry;
  }

  now(): number {
    return this.#clock.now();
  }

  /** Aborted when the run ends for any reason (stop, failure, cancel, timeout). */
  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.#ended) {
        const status = this.#endedStatus ?? undefined;
        this.#abort.abort(new WorkflowCancelledError("runEnded", { status }));
      }
    }
    return this.#abort.signal;
  }

  /** What the run did so far. */
  trace(): RunTrace {
    if (!this.spec.trace) {
      throw new WorkflowRuntimeError("noTrace", {});
    }
    return this.#trace.toTrace();
  }

  /** A verbose line, when the workflow is verbose. */
  verbose(line: string): void {
    this.spec.log?.(line);
  }

  /** Calls `listener` once the run has ended. */
  onEnd(listener: () => void): void {
    if (this.#ended) listener();
    else this.#endListeners.push(listener);
  }

  /**
   * The run's one in-process reader: its published events from the start, internal ones when
   * asked. When it stops early, the log stops keeping events for readers yet to come (unless
   * the runtime keeps them).
   * @throws {@link WorkflowRuntimeError} on a second call.
   */
  streamEvents(includeInternal: boolean): AsyncIterable<Event> {
    if (this.#readerTaken) {
      throw new WorkflowRuntimeError("streamConsumed", {});
    }
    this.#readerTaken = true;
    const log = this.eventLog;
    const keep = this.#keepEvents;
    const entries = log.subscribe({ after: -1, includeInternal });
    let iterating = false;
    return {
      [Symbol.asyncIterator]: () => {
        if (iterating) {
          throw new WorkflowRuntimeError("streamIterating", {});
        }
        iterating = true;
        return (async function* () {
          let finished = false;
          try {
            for await (const entry of entries) yield entry.event;
            finished = true;
          } finally {
            if (!finished && !keep) log.stopKeeping();
          }
        })();
      },
    };
  }

  /** Starts (or resumes) the run; ticks dispatched before this wait for it. */
  start(): void {
    if (this.#started || this.#ended) return;
    this.#started = true;
    if (this.#buffer.length === this.#bufferHead) {
      clearArray(this.#buffer);
      this.#buffer.push(this.#startTick);
    } else this.#buffer = [this.#startTick, ...this.#buffer.slice(this.#bufferHead)];
    this.#bufferHead = 0;
    this.#observe("runStarted", this.#startTick.type === "resume");
    // The buffer holds it now; the runner lets it go (a finished run kept by its handler keeps less).
    this.#startTick = STARTED;
    this.#drain();
  }

  /** Queues a tick and drains the queue unless a drain is already under way. */
  dispatch(tick: Tick): void {
    if (!this.#ended) {
      this.#buffer.push(tick);
      if (this.#started && !this.#draining && !this.#paused) this.#drain();
    }
    this.#fresh = false;
  }

  /** Reads the clock for a tick about to be dispatched from outside a drain (see `#fresh`). */
  #readClock(): void {
    this.#now = this.#clock.now();
    this.#fresh = true;
  }

  #drain(): void {
    this.#draining = true;
    let paused = false;
    try {
      const buffer = this.#buffer;
      let applied = 0;
      while (this.#bufferHead < buffer.length && !this.#ended) {
        // One batch: the ticks buffered now. What performing them dispatches is the next batch.
        const end = buffer.length;
        if (this.#journal) this.eventLog.hold();
        while (this.#bufferHead < end && !this.#ended) {
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
          if ((applied++ & 63) === 0) {
            if (this.#fresh) this.#fresh = false;
            else this.#now = this.#clock.now();
          }
          this.#apply(tick, this.#now);
        }
        if (this.#journal && !this.#commit()) {
          paused = true;
          break;
        }
        if (paused) break;
      }
    } catch (error) {
      this.#crash(error);
    } finally {
      if (paused && !this.#ended) {
        this.#buffer = this.#buffer.slice(this.#bufferHead);
        if (!this.#paused) this.#pause();
      } else clearArray(this.#buffer);
      this.#bufferHead = 0;
      this.#draining = false;
    }
  }

  /** Lets the event loop run (timers, I/O, other runs), then carries on with the buffer. */
  #pause(): void {
    this.#paused = true;
    nextTurn(() => this.#resumeDrain());
  }

  #resumeDrain(): void {
    this.#paused = false;
    if (!this.#ended && !this.#draining) this.#drain();
  }

  #apply(tick: Tick, now: number): void {
    this.#now = now;
    if (this.#journal) this.#entries.push({ tick, at: now });
    // Command arrays are reused; a `collect` tick applied from inside a command takes another.
    const commands = spareCommands.pop() ?? [];
    reduceInto(this.#state, tick, now, commands);
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i] as Command;
      (Runner.#handlers[command.type] as (r: Runner, c: Command) => void)(this, command);
    }
    clearArray(commands);
    spareCommands.push(commands);
  }

  /**
   * Journals what was applied since the last append, then lets its effects out: held worker
   * starts, woken subscribers, the settled result. Returns false when the journal is async:
   * the loop then waits for it.
   */
  #commit(): boolean {
    const journal = this.#journal as RunJournal;
    if (this.#entries.length === 0 && this.#published.length === 0 && !this.#endedStatus) {
      this.#release();
      return true;
    }
    const batch = { entries: this.#entries, published: this.#published, ended: this.#endedStatus };
    this.#entries = [];
    this.#published = [];
    this.eventLog.hold();
    const written = journal.append(batch);
    if (isThenable(written)) {
      this.#paused = true;
      written.then(
        () => {
          this.#release();
          this.#resumeDrain();
        },
        (error: unknown) => {
          this.#release();
          this.#crash(error);
        },
      );
      return false;
    }
    this.#release();
    return true;
  }

  #release(): void {
    this.eventLog.release();
    const held = this.#held;
    this.#held = held.length === 0 ? held : [];
    if (!this.#ended)
      for (const c of held) this.#runWorker(c.step, c.workerId, c.item, c.invocation);
    const settle = this.#settle;
    this.#settle = null;
    settle?.();
  }

  /** An engine error: the run fails through a tick, so a journal sees it too. */
  #crash(error: unknown): void {
    if (this.#ended) {
      // A journal that fails on the batch that ended the run: the result comes out anyway.
      this.#letOut();
      return;
    }
    const cause = toError(error);
    const wrapped = new WorkflowRuntimeError(
      "engineFailed",
      { reason: errorText(cause).message },
      { cause },
    );
    try {
      this.#apply(
        { type: "crash", error: { ...errorText(wrapped), value: wrapped } },
        this.#clock.now(),
      );
      if (this.#journal) this.#commit();
    } catch {
      // The loop or the journal is broken: end the run without them.
    }
    if (!this.#ended) this.#end("failed", { ok: false, error: wrapped }, null);
    this.#letOut();
  }

  /** Lets out whatever a failed journal write held back: subscribers and the result never wait for ever. */
  #letOut(): void {
    if (this.#held.length > 0) this.#held = [];
    this.eventLog.release();
    const settle = this.#settle;
    this.#settle = null;
    settle?.();
  }

  // --- timers -------------------------------------------------------------------------------

  #arm(id: string, ms: number, fire: () => void): void {
    this.#disarm(id);
    const timers = (this.#timers ??= new Map());
    const handle = this.#clock.setTimeout(() => {
      timers.delete(id);
      fire();
    }, ms);
    timers.set(id, handle);
  }

  /** The run timeout, due at `dueAt` (ms): every run on a clock shares one timer for it. */
  #armTimeout(dueAt: number): void {
    this.#disarm("timeout");
    this.#timeout = deadlinesOf(this.#clock).add(dueAt, this);
  }

  /** @internal The run timeout fell due: called by the clock's deadline queue. */
  deadlineFired(): void {
    this.#timeout = null;
    this.#observe("timerFired", "timeout");
    this.dispatch({ type: "timer", id: "timeout" });
  }

  #disarm(id: string): void {
    if (id === "timeout") {
      if (this.#timeout) deadlinesOf(this.#clock).cancel(this.#timeout);
      this.#timeout = null;
      return;
    }
    const handle = this.#timers?.get(id);
    if (handle === undefined) return;
    this.#clock.clearTimeout(handle);
    this.#timers?.delete(id);
  }

  // --- events -------------------------------------------------------------------------------

  #record(event: Event, producer: Invocation | null): EventRecord {
    const cls = event.constructor as EventClass;
    const info = classInfo(cls);
    this.spec.ensureRoute?.(cls);
    const id = ++this.#eventId;
    this.#trace.event(info.type, this.#now, producer ? producer.seq : 0);
    return { id, type: info.type, role: info.role, value: event };
  }

  #publish(record: EventRecord): void {
    this.#trace.published(record.id);
    this.#append(record.value as Event);
  }

  /** Puts a published event on the log. */
  #append(event: Event): void {
    const seq = this.eventLog.append(event);
    if (seq < 0) return;
    if (this.#journal) this.#published.push({ seq, event, internal: false });
    if (this.#observers) this.#observe("eventPublished", seq, event, false);
  }

  /** An internal event the trace can make later: the log keeps only a number. */
  #internalCode(code: number): void {
    const seq = this.eventLog.append(code);
    if (seq < 0 || (!this.#journal && !this.#observers)) return;
    const event = this.#trace.stateEvent(code);
    if (this.#journal) this.#published.push({ seq, event, internal: true });
    if (this.#observers) this.#observe("eventPublished", seq, event, true);
  }

  /** A step's `StepStateChanged`: from the trace when it has the input, else as an object. */
  #stepState(invocation: Invocation, done: boolean, output: string | null): void {
    const trace = this.#trace;
    if (trace.hasEvent(invocation.item.event.id)) {
      if (output !== null) trace.output(invocation.traceIndex, output);
      this.#internalCode(trace.stateCode(invocation.traceIndex, done));
      return;
    }
    this.#internal(
      new StepStateEntry(
        invocation.info.name,
        done ? "notRunning" : "running",
        invocation.workerId,
        invocation.item.event.type,
        output,
      ),
    );
  }

  #internal(entry: InternalEntry): void {
    const seq = this.eventLog.append(entry);
    if (seq < 0) return;
    if (this.#journal) this.#published.push({ seq, event: entry.event, internal: true });
    if (this.#observers) this.#observe("eventPublished", seq, entry.event, true);
  }

  /**
   * Sends an event into the run: to every step that accepts it, or to `step` only.
   * @throws {@link WorkflowRuntimeError} for an unknown step, a step that does not accept the
   * event, or a run that has ended (from outside a step).
   */
  send(event: unknown, step: string | undefined, from: Invocation | null = null): void {
    if (!isEvent(event)) {
      throw new WorkflowRuntimeError("notAnEvent", {
        method: "sendEvent()",
        received: describeValue(event),
      });
    }
    if (this.#ended) {
      if (from) return;
      throw new WorkflowRuntimeError("runEnded", { runId: this.runId, workflow: this.spec.name });
    }
    if (step !== undefined) checkSendTarget(this.spec, event, step);
    const recoveries = from ? from.item.recoveries : null;
    if (!this.#draining) this.#readClock();
    this.dispatch({
      type: "addEvent",
      event: this.#record(event, from),
      step: step ?? null,
      recoveries,
    });
  }

  /** The store was written: with a journal, its new contents go in as a tick. */
  storeWritten(data: Record<string, unknown>): void {
    if (this.#journal && !this.#ended) this.dispatch({ type: "store", data: copyState(data) });
  }

  /** Puts a step's event on the stream, through the loop so a journal records it in order. */
  writeToStream(event: unknown, from: Invocation): void {
    if (event === null || event === undefined) return;
    if (!isEvent(event)) {
      throw new WorkflowRuntimeError("notAnEvent", {
        method: "writeEventToStream()",
        received: describeValue(event),
      });
    }
    if (this.#ended) return;
    if (!this.#journal && !this.#paused) {
      this.#append(event);
      return;
    }
    const key = `${from.info.name}:${from.item.event.id}:${from.item.attempts}:${from.writes++}`;
    // A step that runs again after a crash writes again what its first run wrote: published once.
    if (this.#replayedWrites?.has(key)) return;
    this.dispatch({ type: "write", event, key });
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
    // One reading serves the record and the tick (inside a drain, the drain's reading).
    if (!this.#draining) this.#now = this.#clock.now();
    const record = own.value === event ? own : this.#record(event, invocation);
    this.#collectAnswer = null;
    const workerId = invocation.done ? -1 : invocation.workerId;
    this.#apply(
      { type: "collect", step: invocation.info.name, workerId, bufferId, event: record, expected },
      this.#now,
    );
    return this.#collectAnswer;
  }

  /** The waiter `id` of `step`, as the run state has it. */
  waiterOf(step: string, id: string): WaiterStatus | null {
    const waiter = this.#state.steps[step]?.waiters.find((w) => w.id === id);
    return waiter ? { resolved: waiter.resolved, timedOut: waiter.timedOut } : null;
  }

  /** Parks an invocation on a waiter; the step runs again once the waiter resolves or times out. */
  wait(invocation: Invocation, waiter: WaiterSpec, waiterEvent: Event | null): void {
    if (invocation.done || this.#ended) return;
    invocation.done = true;
    invocation.parked = true;
    this.#now = this.#clock.now();
    this.#trace.ended(invocation.traceIndex, this.#now, "waiting", null);
    const name = invocation.info.name;
    this.#stepState(invocation, true, null);
    this.spec.log?.(`[${name}:${invocation.workerId}] waiting for ${waiter.eventType}`);
    if (this.#observers) this.#observe("waitStarted", invocation, waiter);
    const record = waiterEvent ? this.#record(waiterEvent, invocation) : null;
    this.dispatch({
      type: "wait",
      step: name,
      workerId: invocation.workerId,
      waiter,
      waiterEvent: record,
    });
  }

  /** Cancels the run (no-op once it has ended); before it started, no step runs. */
  cancel(): void {
    if (this.#ended) return;
    if (!this.#started) {
      this.#cancelRequested = true;
      this.#buffer.push({ type: "cancel" });
      this.start();
      return;
    }
    this.dispatch({ type: "cancel" });
  }

  // --- observers ----------------------------------------------------------------------------

  /** Tells every observer; one that throws is reported once and skipped from then on. */
  #observe<K extends keyof RunObserver>(method: K, ...args: unknown[]): void {
    const observers = this.#observers;
    if (!observers) return;
    const at = this.#now;
    for (const observer of observers) {
      const fn = observer[method] as ((...a: unknown[]) => void) | undefined;
      if (!fn || this.#failedObservers?.has(observer)) continue;
      try {
        // Calls about the run name it; calls about an invocation name the invocation.
        if (RUN_CALLS.has(method)) fn.call(observer, this.#runView(), ...args, at);
        else fn.call(observer, ...args, at);
      } catch (error) {
        (this.#failedObservers ??= new Set()).add(observer);
        try {
          console.warn(
            `stepwise: an observer of run ${this.runId} threw in \`${method}\` (${errorText(toError(error)).message}); it is not called again for this run.`,
          );
        } catch {
          // Nowhere left to report to.
        }
      }
    }
  }

  #view: RunView | null = null;

  /** The run as observers see it (made once, on the first run-level call). */
  #runView(): RunView {
    if (this.#view) return this.#view;
    const state = this.#state;
    const apply = (key: string, value: string) =>
      this.#apply({ type: "annotate", key, value }, this.#clock.now());
    this.#view = {
      runId: this.runId,
      workflowName: this.spec.name,
      get annotations() {
        return state.annotations ?? {};
      },
      annotate: (key, value) => {
        if (this.#ended) return;
        if (typeof key !== "string" || typeof value !== "string") {
          throw new WorkflowRuntimeError("invalidOption", {
            method: "run.annotate()",
            option: "key and value",
            expected: "strings",
          });
        }
        if (!this.#started) {
          apply(key, value);
          return;
        }
        // Observers annotate from inside their calls: the tick waits for the loop's next drain.
        this.#buffer.push({ type: "annotate", key, value });
        queueMicrotask(() => {
          if (!this.#ended && !this.#draining && !this.#paused) this.#drain();
        });
      },
    };
    return this.#view;
  }

  // --- steps --------------------------------------------------------------------------------

  #runWorker(name: string, workerId: number, item: WorkItem, seq: number): void {
    const info = this.spec.steps.get(name) as StepInfo;
    const traceIndex = this.#trace.started(
      seq,
      name,
      workerId,
      item.event.id,
      item.attempts,
      this.#now,
    );
    if (item.batch)
      this.#trace.batch(
        traceIndex,
        item.batch.map((r) => r.id),
      );
    const invocation = new Invocation(this, info, workerId, item, seq, traceIndex);
    this.#stepState(invocation, false, null);
    this.spec.log?.(`[${name}:${workerId}] started from ${item.event.type}`);
    let output: unknown;
    try {
      if (this.#observers) {
        this.#observe("stepStarted", invocation);
        output = this.#wrapped(invocation, () => this.#call(info, item, invocation));
      } else output = this.#call(info, item, invocation);
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

  #call(info: StepInfo, item: WorkItem, invocation: Invocation): unknown {
    return info.fn.call(
      this.spec.workflow,
      item.batch ? item.batch.map((record) => record.value) : item.event.value,
      info.takesContext ? this.#stepContext(this.#ctx, this, invocation) : undefined,
    );
  }

  /** Runs the step inside every observer's `wrapStep`, outermost first. */
  #wrapped(invocation: Invocation, call: () => unknown): unknown {
    let run = call;
    const observers = this.#observers as readonly RunObserver[];
    for (let i = observers.length - 1; i >= 0; i--) {
      const observer = observers[i] as RunObserver;
      if (!observer.wrapStep || this.#failedObservers?.has(observer)) continue;
      const inner = run;
      run = () => (observer.wrapStep as NonNullable<RunObserver["wrapStep"]>)(invocation, inner);
    }
    return run();
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
    this.#readClock();
    let outcome: StepOutcome;
    if (value === undefined || value === null) {
      outcome = NO_EVENT;
      if (invocation.info.declaresEmits) (this.#silent ??= new Set()).add(invocation.info.name);
    } else if (isEvent(value)) {
      this.#silent?.delete(invocation.info.name);
      outcome = { kind: "event", event: this.#record(value, invocation) };
    } else if (Array.isArray(value)) outcome = this.#fannedOut(invocation, value);
    else {
      const error = new WorkflowRuntimeError("badReturn", {
        step: invocation.info.name,
        received: describeValue(value),
      });
      outcome = this.#failure(invocation, error);
    }
    this.#finishInvocation(invocation, outcome);
  }

  /** A step returned an array: a fan-out when the step declares one, else a failure. */
  #fannedOut(invocation: Invocation, values: readonly unknown[]): StepOutcome {
    const name = invocation.info.name;
    if (!invocation.info.fanOut) {
      const error = new WorkflowRuntimeError("unexpectedArray", { step: name });
      return this.#failure(invocation, error);
    }
    const stray = values.findIndex((value) => !isEvent(value));
    if (stray !== -1) {
      const error = new WorkflowRuntimeError("badFanOutItem", {
        step: name,
        index: stray,
        received: describeValue(values[stray]),
      });
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
    this.#readClock();
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
    const error = new WorkflowRuntimeError("raceAfterWait", { step: name, how });
    this.#readClock();
    this.dispatch({ type: "fault", step: name, error: { ...errorText(error), value: error } });
  }

  /** Decides, at the boundary, whether a failure is retried: the loop gets the delay as data. */
  #failure(invocation: Invocation, error: Error): StepOutcome {
    const policy = invocation.info.retry;
    let retryDelayMs: number | null = null;
    // An error marked `nonRetryable` goes straight to recovery (or fails the run).
    if (policy && !isNonRetryable(error)) {
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
          "retryPolicyFailed",
          {
            step: invocation.info.name,
            reason: errorText(cause).message,
            stepError: errorText(error).message,
          },
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
    const failed = outcome.kind === "failed";
    this.#trace.ended(
      invocation.traceIndex,
      this.#now,
      failed ? (outcome.retryDelayMs === null ? "failed" : "retrying") : "completed",
      failed ? `${outcome.error.name}: ${outcome.error.message}` : null,
    );
    this.#stepState(invocation, true, output);
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
    if (this.#observers) this.#observe("stepEnded", invocation, outcome);
    this.dispatch({ type: "stepResult", step: name, workerId: invocation.workerId, outcome });
  }

  // --- the end ------------------------------------------------------------------------------

  /** What ending and detaching share: nothing more is applied, timers go, `ctx.signal` aborts. */
  #stop(status: string): void {
    this.#ended = true;
    this.#buffer.length = 0;
    this.#bufferHead = 0;
    this.#disarm("timeout");
    if (this.#timers) {
      for (const handle of this.#timers.values()) this.#clock.clearTimeout(handle);
      this.#timers.clear();
    }
    this.#abort?.abort(new WorkflowCancelledError("runEnded", { status }));
  }

  #end(
    status: RunEndStatus,
    outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
    terminal: Event | null,
  ): void {
    if (this.#ended) return;
    this.#endedStatus = status;
    this.#stop(status);
    const at = this.#clock.now();
    if (terminal && status !== "completed") {
      // The engine's own terminal event (failed, timed out, cancelled) closes the drawing too.
      ++this.#eventId;
      this.#trace.event(classInfo(terminal.constructor as EventClass).type, at, 0);
      this.#trace.published(this.#eventId);
    }
    this.#trace.finish(status, at);
    this.eventLog.close();
    if (this.spec.log) {
      const shown = outcome.ok
        ? describeResult(terminal, outcome.value)
        : `${status}: ${errorText(toError(outcome.error)).message}`;
      this.spec.log(`[result] ${shown}`);
    }
    if (this.#observers) {
      const end: RunEnd = { status, error: outcome.ok ? null : outcome.error, event: terminal };
      this.#observe("runEnded", end);
    }
    const settle = () => {
      const settler = this.#settler as Deferred<unknown>;
      this.#settler = null;
      if (outcome.ok) settler.resolve(outcome.value);
      else settler.reject(outcome.error);
      this.#onEnded?.(this);
      if (this.#endListeners.length === 0) return;
      const listeners = this.#endListeners.splice(0);
      for (const listener of listeners) listener();
    };
    // With a journal the result waits for the batch that ended the run to be written.
    if (this.#journal && this.#draining) this.#settle = settle;
    else settle();
  }
}

/** What a started runner's start tick field holds: its start tick is in the buffer, or applied. */
const STARTED: Tick = { type: "resume", timeoutMs: null };

// One runner and one handler outlive every run, so that their shapes do (see
// internal/shapes.ts): made for a spec of nothing, never started. Its clock's time is a double,
// as the system clock's is.
const sampleRunner = keepShape(
  new Runner({
    spec: { name: "", trace: false, timeoutMs: null, observers: [] } as unknown as WorkflowSpec,
    services: {
      clock: { now: () => 0.5, setTimeout: () => 0, clearTimeout: () => {} },
      journal: null,
      observers: [],
    },
    runId: "",
    startEvent: null,
    state: { lastEventId: 0 } as RunState,
    published: [],
    stepContext: () => null,
    ctx: null,
  }),
);
keepShape(new WorkflowHandler(sampleRunner, {} as Context));
// A run's start tick is made once per run, by code too cold for V8 to keep its literal's shape.
keepShape<Tick>({
  type: "start",
  event: { id: 0, type: "", role: "start", value: null },
  timeoutMs: 60_000,
});
