/**
 * The step channel: everything a running step asks of its run (`ctx.sendEvent`,
 * `collectEvents`, `waitForEvent`, `writeEventToStream`, `retryInfo`, `signal`) goes through
 * this one interface. The in-process runner implements it directly with {@link Invocation}; a
 * runtime that runs steps elsewhere implements it over messages. Nothing in a step reads the
 * runner's state.
 */
import type { EventRecord, WaiterSpec, WorkItem } from "../control-loop/ticks.js";
import type { EventRegistry } from "../event-codec.js";
import type { Event } from "../events.js";
import { keepShape } from "../internal/shapes.js";
import type { StepInfo } from "./spec.js";

/** What a waiter registered by an earlier call of the same invocation has come to. */
export interface WaiterStatus {
  readonly resolved: EventRecord | null;
  readonly timedOut: boolean;
}

/** What a step can do to its run. */
export interface StepChannel {
  readonly runId: string;
  readonly stepName: string;
  /** The work item the step runs with: its input event and retry bookkeeping. */
  readonly item: WorkItem;
  /** The workflow's event classes, for reviving events by type. */
  readonly registry: EventRegistry;
  /** Aborted when the run ends. */
  readonly signal: AbortSignal;
  /** The run's time (ms). */
  now(): number;
  sendEvent(event: unknown, step: string | undefined): void;
  /** Buffers `event` and answers at once: the expected events by type once all are there, else null. */
  collect(
    bufferId: string,
    event: Event,
    expected: Readonly<Record<string, number>>,
  ): Readonly<Record<string, readonly EventRecord[]>> | null;
  /** The waiter `id` of this step, when an earlier run of the invocation registered it. */
  waiter(id: string): WaiterStatus | null;
  /** Parks the step until the waiter resolves or times out; the step then runs again. */
  wait(waiter: WaiterSpec, waiterEvent: Event | null): void;
  writeEvent(event: unknown): void;
}

/** The runner's side of a channel. */
export interface ChannelHost {
  readonly runId: string;
  readonly registry: EventRegistry;
  readonly signal: AbortSignal;
  now(): number;
  send(event: unknown, step: string | undefined, from: Invocation | null): void;
  collect(
    invocation: Invocation,
    bufferId: string,
    event: Event,
    expected: Readonly<Record<string, number>>,
  ): Readonly<Record<string, readonly EventRecord[]>> | null;
  waiterOf(step: string, id: string): WaiterStatus | null;
  wait(invocation: Invocation, waiter: WaiterSpec, waiterEvent: Event | null): void;
  writeToStream(event: unknown, from: Invocation): void;
}

/** One call of a step function, and its channel to the run. */
export class Invocation implements StepChannel {
  /** Set once its result (or its wait) has been handed to the loop; later results are ignored. */
  done = false;
  /** Set when it parked in `waitForEvent`: its body must never settle after that. */
  parked = false;
  /** How many events it has written to the stream. */
  writes = 0;

  constructor(
    readonly host: ChannelHost,
    readonly info: StepInfo,
    readonly workerId: number,
    readonly item: WorkItem,
    /** Numbers the call within the run. */
    readonly seq: number,
    /** Its row in the run's trace, or -1 when the run records none. */
    readonly traceIndex: number,
  ) {}

  get runId(): string {
    return this.host.runId;
  }

  get stepName(): string {
    return this.info.name;
  }

  get registry(): EventRegistry {
    return this.host.registry;
  }

  get signal(): AbortSignal {
    return this.host.signal;
  }

  now(): number {
    return this.host.now();
  }

  sendEvent(event: unknown, step: string | undefined): void {
    this.host.send(event, step, this);
  }

  collect(
    bufferId: string,
    event: Event,
    expected: Readonly<Record<string, number>>,
  ): Readonly<Record<string, readonly EventRecord[]>> | null {
    return this.host.collect(this, bufferId, event, expected);
  }

  waiter(id: string): WaiterStatus | null {
    return this.host.waiterOf(this.info.name, id);
  }

  wait(waiter: WaiterSpec, waiterEvent: Event | null): void {
    this.host.wait(this, waiter, waiterEvent);
  }

  writeEvent(event: unknown): void {
    this.host.writeToStream(event, this);
  }
}

// One invocation outlives every run, so that its shape does (see internal/shapes.ts).
keepShape(new Invocation({} as ChannelHost, {} as StepInfo, 0, {} as WorkItem, 1, -1)).done = true;
