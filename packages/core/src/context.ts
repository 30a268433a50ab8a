/**
 * The context: the second argument of every step, and `handler.ctx` outside. It holds the run's
 * store and lets steps send, collect, wait for and stream events. A context made before a run
 * (`new Context(wf)`) can be seeded, and one restored with `Context.fromJSON` resumes a run.
 */
import type { RunState } from "./control-loop/run-state.js";
import type { EventRecord } from "./control-loop/ticks.js";
import { WorkflowRuntimeError, WorkflowTimeoutError } from "./errors.js";
import { decodeEvent, UnrevivedEvent } from "./event-codec.js";
import type { Event, EventClass } from "./events.js";
import { describeValue, safeText } from "./internal/describe.js";
import { isWorkflow, workflowSpec } from "./internal/workflow-registry.js";
import type { StepChannel } from "./runtime/invocation.js";
import type { Invocation, Runner } from "./runtime/runner.js";
import type { WorkflowSpec } from "./runtime/spec.js";
import {
  type ContextSnapshot,
  jsonSerializer,
  readSnapshot,
  type StoreSerializer,
  writeSnapshot,
} from "./snapshot.js";
import { StateStore } from "./state-store.js";

/** What `ctx.retryInfo()` tells a step about its current input. */
export interface RetryInfo {
  /** 0 on the first attempt, 1 on the first retry, ... */
  readonly retryNumber: number;
  /** Seconds since the first attempt at this input. */
  readonly elapsedSeconds: number;
  readonly lastError: Error | null;
  readonly lastFailedAt: Date | null;
}

/** Options of `ctx.waitForEvent`. */
export interface WaitForEventOptions {
  /** Published to the stream once when the wait begins (e.g. an `InputRequiredEvent`). */
  waiterEvent?: Event;
  /** Fields the awaited event must have, compared with `===`. */
  requirements?: Record<string, unknown>;
  /** Names the wait; two waits of one step invocation need different ids. @default from type and requirements */
  waiterId?: string;
  /** Seconds to wait before the call throws `WorkflowTimeoutError`; null for ever. @default 2000 */
  timeout?: number | null;
}

/** Options of `new Context(wf, options)` and `Context.fromJSON`. */
export interface ContextOptions {
  /** Turns store values into JSON and back. @default JSON-safe values only */
  serializer?: StoreSerializer;
}

/** The parts of a workflow a context needs. */
interface ContextOwner {
  readonly workflowName: string;
}

let pendingParent: Context | null = null;
let pendingRunner: Runner | null = null;
let pendingInvocation: Invocation | null = null;
function specOf(owner: ContextOwner): WorkflowSpec {
  if (!isWorkflow(owner)) {
    throw new WorkflowRuntimeError("notAWorkflow", {
      method: "new Context(workflow)",
      received: describeValue(owner),
    });
  }
  return workflowSpec(owner);
}
let access: {
  attach(ctx: Context, runner: Runner): void;
  restored(ctx: Context): { state: RunState; runId: string | null } | null;
  restore(
    ctx: Context,
    state: RunState,
    runId: string,
    store: Record<string, unknown> | null,
  ): void;
  runner(ctx: Context): Runner | null;
  owner(ctx: Context): ContextOwner;
};

/** @internal The context a step invocation receives. */
export function createStepContext(
  parent: Context,
  runner: Runner,
  invocation: Invocation,
): Context {
  pendingParent = parent;
  pendingRunner = runner;
  pendingInvocation = invocation;
  return new Context(null as unknown as ContextOwner);
}

/**
 * @internal A context for a run rebuilt from a journal: `wf.run(undefined, { ctx })` (or the
 * runtime) resumes it.
 */
export function restoredContext(
  workflow: ContextOwner,
  store: Record<string, unknown> | null,
  state: RunState,
  runId: string,
): Context {
  const ctx = new Context(workflow);
  access.restore(ctx, state, runId, store);
  return ctx;
}

/** @internal Binds a context to the run it now belongs to. */
export function attachRun(ctx: Context, runner: Runner): void {
  access.attach(ctx, runner);
}

/** @internal The run state a restored context resumes, if any. */
export function restoredRun(ctx: Context): { state: RunState; runId: string | null } | null {
  return access.restored(ctx);
}

/** @internal The workflow a context was made for. */
export function contextOwner(ctx: Context): ContextOwner {
  return access.owner(ctx);
}

/** @internal The run a context belongs to (the latest one), if any. */
export function runnerOf(ctx: Context): Runner | null {
  return access.runner(ctx);
}

const expectedCounts = new WeakMap<readonly EventClass[], Record<string, number>>();

function countsOf(expected: readonly EventClass[]): Record<string, number> {
  let counts = expectedCounts.get(expected);
  if (!counts) {
    counts = {};
    for (const cls of expected) counts[cls.eventType] = (counts[cls.eventType] ?? 0) + 1;
    expectedCounts.set(expected, counts);
  }
  return counts;
}

/** A waiter's event restored from a snapshot may still be JSON: revive it with the class the step names. */
function reviveResolved(
  record: EventRecord,
  eventClass: EventClass,
  channel: StepChannel,
): unknown {
  if (!(record.value instanceof UnrevivedEvent)) return record.value;
  const registry = new Map(channel.registry);
  registry.set(eventClass.eventType, eventClass);
  const value = decodeEvent(record.value.json, registry);
  (record as { value: unknown }).value = value;
  return value;
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : 1,
  );
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}

const shapeSamples = new WeakMap<ContextOwner, Context | null>();

// Defaults shared by every call that passes no options: no object per call on the hot path.
const NO_SEND_OPTIONS: { step?: string } = Object.freeze({});
const NO_CONTEXT_OPTIONS: ContextOptions = Object.freeze({});

/**
 * The run's context. Steps get one as their second argument; `handler.ctx` is the same run's
 * context seen from outside.
 */
export class Context<TState = any> {
  readonly #owner: ContextOwner;
  readonly #store: StateStore<TState>;
  readonly #serializer: StoreSerializer;
  /** A step's context: its channel to the run. Null for `handler.ctx` and contexts made before a run. */
  readonly #invocation: StepChannel | null;
  #runner: Runner | null;
  #restored: { state: RunState; runId: string | null } | null = null;

  static {
    access = {
      attach(ctx, runner) {
        ctx.#runner = runner;
        ctx.#restored = null;
      },
      restored: (ctx) => ctx.#restored,
      runner: (ctx) => ctx.#runner,
      restore(ctx, state, runId, store) {
        if (store) ctx.#store.restore(store);
        ctx.#restored = { state, runId };
      },
      owner: (ctx) => ctx.#owner,
    };
  }

  /** Makes a context for `workflow` before any run; seed its store, then pass it to `run()`. */
  constructor(workflow: ContextOwner, options: ContextOptions = NO_CONTEXT_OPTIONS) {
    const parent = pendingParent;
    if (parent) {
      // A step's context (`createStepContext`): no object to carry its parts in.
      this.#owner = parent.#owner;
      this.#store = parent.#store;
      this.#serializer = parent.#serializer;
      this.#runner = pendingRunner;
      this.#invocation = pendingInvocation;
      pendingParent = pendingRunner = pendingInvocation = null;
      return;
    }
    if (!workflow || typeof workflow.workflowName !== "string") {
      throw new WorkflowRuntimeError("notAWorkflow", {
        method: "new Context(workflow)",
        expected: "the workflow the context is for",
        received: describeValue(workflow),
      });
    }
    this.#owner = workflow;
    this.#serializer = options.serializer ?? jsonSerializer;
    this.#store = new StateStore<TState>(specOf(workflow).stateSchema as never);
    this.#runner = null;
    this.#invocation = null;
    // One unused context per workflow outlives its runs, so that the shape of a context and of
    // its store does (see internal/shapes.ts). It holds no run's data.
    if (!shapeSamples.has(workflow)) {
      shapeSamples.set(workflow, null);
      shapeSamples.set(workflow, new Context(workflow));
    }
  }

  /** Restores a context from `toJSON()` output; `wf.run(undefined, { ctx })` resumes its run. */
  static fromJSON<TState = any>(
    workflow: ContextOwner,
    snapshot: ContextSnapshot | string | unknown,
    options: ContextOptions = {},
  ): Context<TState> {
    const ctx = new Context<TState>(workflow, options);
    const spec = specOf(workflow);
    const restored = readSnapshot(snapshot, spec, ctx.#serializer);
    ctx.#store.restore(restored.store);
    if (restored.state && ["running", "cancelled", "timedOut"].includes(restored.state.status)) {
      ctx.#restored = { state: restored.state, runId: restored.runId };
    }
    return ctx;
  }

  /** The run's shared state: `get`, `set`, `edit`, typed by the workflow's state schema. */
  get store(): StateStore<TState> {
    return this.#store;
  }

  /** The id of the run this context belongs to. */
  get runId(): string {
    const id = this.#invocation?.runId ?? this.#runner?.runId ?? this.#restored?.runId;
    if (!id) throw new WorkflowRuntimeError("notRunning", { method: "ctx.runId" });
    return id;
  }

  /** Aborted when the run ends (stop, failure, cancel or timeout): pass it to fetch and LLM calls. */
  get signal(): AbortSignal {
    if (this.#invocation) return this.#invocation.signal;
    if (!this.#runner) {
      throw new WorkflowRuntimeError("notRunning", { method: "ctx.signal" });
    }
    return this.#runner.signal;
  }

  /** Whether the run of this context is in progress. */
  get isRunning(): boolean {
    return this.#runner !== null && !this.#runner.isEnded;
  }

  /**
   * Sends an event into the run (fire-and-forget): to every step that accepts its class, or to
   * `step` only.
   * @throws {@link WorkflowRuntimeError} before the run starts, for an unknown step or a step
   * that does not accept the event.
   */
  sendEvent(event: Event, options: { step?: string } = NO_SEND_OPTIONS): void {
    if (this.#invocation) {
      this.#invocation.sendEvent(event, options.step);
      return;
    }
    if (!this.#runner) {
      throw new WorkflowRuntimeError("notRunning", { method: "ctx.sendEvent()" });
    }
    this.#runner.send(event, options.step, null);
  }

  /**
   * Buffers `event` and returns the expected events, in the order of `expected`, once all have
   * arrived; until then returns null. Each step has its own buffer. Keep `expected` in a
   * constant: its counts are computed once per array, which keeps fan-in linear.
   */
  collectEvents<const T extends readonly EventClass[]>(
    event: Event,
    expected: T,
    bufferId = "default",
  ): { -readonly [K in keyof T]: T[K] extends EventClass<infer E> ? E : never } | null {
    const channel = this.#stepOnly("collectEvents");
    if (expected.length === 0) return [] as never;
    const taken = channel.collect(bufferId, event, countsOf(expected));
    if (!taken) return null;
    const cursor: Record<string, number> = {};
    return expected.map((cls) => {
      const type = cls.eventType;
      const index = cursor[type] ?? 0;
      cursor[type] = index + 1;
      return (taken[type] as readonly { value: unknown }[])[index]?.value;
    }) as never;
  }

  /** Puts an event on the run's stream (e.g. tokens as they stream from an LLM). */
  writeEventToStream(event: Event): void {
    this.#stepOnly("writeEventToStream").writeEvent(event);
  }

  /**
   * Waits for an event of exactly `eventClass` (and `requirements`) from outside the step.
   * The first call parks the step and frees its worker; when the event arrives the step runs
   * again from the top with its original input, and this call returns the event. Code before
   * the call therefore runs again: keep it idempotent.
   * @throws {@link WorkflowTimeoutError} in the re-run when the wait timed out.
   */
  async waitForEvent<T extends Event>(
    eventClass: EventClass<T>,
    options: WaitForEventOptions = {},
  ): Promise<T> {
    const channel = this.#stepOnly("waitForEvent");
    const requirements = options.requirements ?? null;
    const key = options.waiterId ?? `${eventClass.eventType}:${stableJson(requirements)}`;
    const id = `${key}@${channel.item.event.id}`;
    const waiter = channel.waiter(id);
    if (waiter?.resolved) return reviveResolved(waiter.resolved, eventClass, channel) as T;
    if (waiter?.timedOut) {
      throw new WorkflowTimeoutError("waitTimeout", {
        timeout: options.timeout ?? 2000,
        activeSteps: [channel.stepName],
        eventType: eventClass.eventType,
        step: channel.stepName,
      });
    }
    const timeout = options.timeout === undefined ? 2000 : options.timeout;
    if (
      timeout !== null &&
      !(typeof timeout === "number" && timeout >= 0 && Number.isFinite(timeout))
    ) {
      throw new WorkflowRuntimeError("invalidOption", {
        method: "ctx.waitForEvent()",
        option: "timeout",
        expected: "a finite number of seconds >= 0, or null to wait for ever",
        received: safeText(timeout),
      });
    }
    channel.wait(
      {
        id,
        eventType: eventClass.eventType,
        requirements,
        timeoutMs: timeout === null ? null : timeout * 1000,
      },
      options.waiterEvent ?? null,
    );
    // The step is parked: this promise never settles, and the step re-runs when the waiter resolves.
    return new Promise<T>(() => {});
  }

  /** Where the current input stands in its retries. */
  retryInfo(): RetryInfo {
    const channel = this.#stepOnly("retryInfo");
    const item = channel.item;
    const now = channel.now();
    const lastError = item.lastError
      ? ((item.lastError.value as Error | undefined) ?? new Error(item.lastError.message))
      : null;
    return {
      retryNumber: item.attempts,
      elapsedSeconds: (now - (item.firstAttemptAt ?? now)) / 1000,
      lastError,
      lastFailedAt: item.lastFailedAt === null ? null : new Date(item.lastFailedAt),
    };
  }

  /**
   * A JSON snapshot of the run: its queues, buffers, waiters, retry counters and store. Works
   * mid-run and after the end; `Context.fromJSON` reads it back.
   */
  toJSON(): ContextSnapshot {
    if (this.#invocation) {
      throw new WorkflowRuntimeError("handlerOnly", { method: "ctx.toJSON()" });
    }
    const state = this.#runner?.state ?? this.#restored?.state ?? null;
    return writeSnapshot({
      workflow: this.#owner.workflowName,
      runId: this.#runner?.runId ?? this.#restored?.runId ?? null,
      state,
      store: this.#store.snapshotData(),
      serializer: this.#serializer,
    });
  }

  #stepOnly(method: string): StepChannel {
    if (!this.#invocation) {
      throw new WorkflowRuntimeError("stepOnly", { method: `ctx.${method}()` });
    }
    return this.#invocation;
  }
}
