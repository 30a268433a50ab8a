/**
 * Records what a run does for `handler.trace()`. Recording is on the hot path of every event
 * and every step invocation, so rows are numbers in flat arrays (no per-row objects, nothing
 * for the garbage collector to follow); names are interned. Objects are built only when the
 * trace is asked for.
 */
import { createEventUnchecked, type Event, StepStateChanged } from "../events.js";
import type { RunTrace, TraceInvocation, TraceStatus } from "../trace.js";

/** Kinds of the internal `StepStateChanged` events a recorder can make from its rows. */
const STATE_RUNNING = 0;
const STATE_DONE = 1;
const STATE_QUEUED = 2;

type Outcome = TraceInvocation["outcome"];
const OUTCOMES: readonly Outcome[] = [
  "running",
  "completed",
  "failed",
  "retrying",
  "waiting",
  "cancelled",
];
/**
 * Rows of `width` numbers in one flat array of doubles: no object per row, and nothing in it
 * for the garbage collector to follow.
 */
class Table {
  readonly #width: number;
  readonly #cells: number[] = [];

  constructor(width: number) {
    this.#width = width;
  }

  get rows(): number {
    return this.#cells.length / this.#width;
  }

  /** Appends a row of a 2-wide table and returns its index. */
  add2(a: number, b: number): number {
    return this.#cells.push(a, b) / 2 - 1;
  }

  /** Appends a row of a 4-wide table and returns its index. */
  add4(a: number, b: number, c: number, d: number): number {
    return this.#cells.push(a, b, c, d) / 4 - 1;
  }

  /** Appends a row of an 8-wide table and returns its index. */
  add8(
    a: number,
    b: number,
    c: number,
    d: number,
    e: number,
    f: number,
    g: number,
    h: number,
  ): number {
    return this.#cells.push(a, b, c, d, e, f, g, h) / 8 - 1;
  }

  set(row: number, column: number, value: number): void {
    this.#cells[row * this.#width + column] = value;
  }

  get(row: number, column: number): number {
    return this.#cells[row * this.#width + column] as number;
  }
}

// Event columns.
const E_TYPE = 0;
const E_AT = 1;
const E_PRODUCER = 2;
const E_PUBLISHED = 3;
// Invocation columns.
const I_SEQ = 0;
const I_STEP = 1;
const I_WORKER = 2;
const I_INPUT = 3;
const I_ATTEMPT = 4;
const I_START = 5;
const I_END = 6;
const I_OUTCOME = 7;

export class TraceRecorder {
  readonly #workflowName: string;
  readonly #runId: string;
  readonly #startedAt: number;
  readonly #base: number;
  #status: TraceStatus = "running";
  #endedAt: number | null = null;
  readonly #names: string[] = [];
  readonly #nameIds = new Map<string, number>();
  /** Events by id - base - 1: type, time, producer invocation seq (0 = from outside), published. */
  readonly #events = new Table(4);
  /** Invocations in start order. */
  readonly #invocations = new Table(8);
  readonly #errors = new Map<number, string>();
  /** By invocation row: the interned type of the event it returned, or -1. */
  readonly #outputs: number[] = [];
  /** Items queued for a worker: step name id, input event id. */
  readonly #queued = new Table(2);
  /** Rows of `collect`/`join` invocations: the ids of every event they ran with. */
  #batches: Map<number, readonly number[]> | null = null;

  constructor(workflowName: string, runId: string, startedAt: number, lastEventId: number) {
    this.#workflowName = workflowName;
    this.#runId = runId;
    this.#startedAt = startedAt;
    this.#base = lastEventId;
  }

  #lastName = "";
  #lastNameId = -1;

  #intern(name: string): number {
    if (name === this.#lastName) return this.#lastNameId;
    let id = this.#nameIds.get(name);
    if (id === undefined) {
      id = this.#names.push(name) - 1;
      this.#nameIds.set(name, id);
    }
    this.#lastName = name;
    this.#lastNameId = id;
    return id;
  }

  /** Records the next event (ids are consecutive from the run's start). */
  event(type: string, at: number, producerSeq: number): void {
    this.#events.add4(this.#intern(type), at, producerSeq, 0);
  }

  published(id: number): void {
    const row = id - this.#base - 1;
    if (row >= 0 && row < this.#events.rows) this.#events.set(row, E_PUBLISHED, 1);
  }

  /**
   * Names the last invocation of `step` on input `inputEventId` as the producer of event `id`:
   * a `StepFailedEvent` is the engine's, sent for the attempt that failed (retries of one input
   * come one after another, so the last one is the one that failed).
   */
  attributeToLastAttempt(id: number, step: string, inputEventId: number): void {
    const row = id - this.#base - 1;
    const name = this.#nameIds.get(step);
    if (row < 0 || row >= this.#events.rows || name === undefined) return;
    const table = this.#invocations;
    for (let index = table.rows - 1; index >= 0; index--) {
      if (table.get(index, I_STEP) === name && table.get(index, I_INPUT) === inputEventId) {
        this.#events.set(row, E_PRODUCER, table.get(index, I_SEQ));
        return;
      }
    }
  }

  /** Records a started invocation; returns its row for {@link ended}. */
  started(
    seq: number,
    step: string,
    workerId: number,
    inputEventId: number,
    attempt: number,
    at: number,
  ): number {
    // Columns in order: I_SEQ, I_STEP, I_WORKER, I_INPUT, I_ATTEMPT, I_START, I_END, I_OUTCOME.
    this.#outputs.push(-1);
    return this.#invocations.add8(
      seq,
      this.#intern(step),
      workerId,
      inputEventId,
      attempt,
      at,
      Number.NaN,
      0,
    );
  }

  /** Records the events a `collect` or `join` invocation runs with. */
  batch(row: number, inputEventIds: readonly number[]): void {
    (this.#batches ??= new Map()).set(row, inputEventIds);
  }

  /** Records the type of the event an invocation returned (for its `StepStateChanged`). */
  output(row: number, eventType: string): void {
    this.#outputs[row] = this.#intern(eventType);
  }

  /** Whether event `id` is one this recorder saw (a resumed run's earlier events are not). */
  hasEvent(id: number): boolean {
    const row = id - this.#base - 1;
    return row >= 0 && row < this.#events.rows;
  }

  /**
   * A code for the run log standing for the `StepStateChanged` of invocation `row` starting
   * (`done` false) or ending: the log keeps a number, and {@link stateEvent} makes the event only
   * when a reader asks for it.
   */
  stateCode(row: number, done: boolean): number {
    return row * 4 + (done ? STATE_DONE : STATE_RUNNING);
  }

  /** A code for the `StepStateChanged` of an item of `step` queued for a worker. */
  queuedCode(step: string, inputEventId: number): number {
    return this.#queued.add2(this.#intern(step), inputEventId) * 4 + STATE_QUEUED;
  }

  /** The `StepStateChanged` event a code stands for. */
  stateEvent(code: number): Event {
    const kind = code & 3;
    const row = code >> 2;
    const typeOf = (id: number) =>
      this.#names[this.#events.get(id - this.#base - 1, E_TYPE)] as string;
    if (kind === STATE_QUEUED) {
      return createEventUnchecked(StepStateChanged, {
        name: this.#names[this.#queued.get(row, 0)] as string,
        stepState: "preparing",
        workerId: "<enqueued>",
        inputEventName: typeOf(this.#queued.get(row, 1)),
        outputEventName: null,
      });
    }
    const table = this.#invocations;
    const output = kind === STATE_DONE ? (this.#outputs[row] ?? -1) : -1;
    return createEventUnchecked(StepStateChanged, {
      name: this.#names[table.get(row, I_STEP)] as string,
      stepState: kind === STATE_DONE ? "notRunning" : "running",
      workerId: table.get(row, I_WORKER),
      inputEventName: typeOf(table.get(row, I_INPUT)),
      outputEventName: output === -1 ? null : (this.#names[output] as string),
    });
  }

  ended(row: number, at: number, outcome: Outcome, error: string | null): void {
    this.#invocations.set(row, I_END, at);
    this.#invocations.set(row, I_OUTCOME, OUTCOMES.indexOf(outcome));
    if (error !== null) this.#errors.set(row, error);
  }

  /** The run ended: invocations still running were cancelled. */
  finish(status: TraceStatus, at: number): void {
    this.#status = status;
    this.#endedAt = at;
    for (let row = 0; row < this.#invocations.rows; row++) {
      if (this.#invocations.get(row, I_OUTCOME) === 0) this.ended(row, at, "cancelled", null);
    }
  }

  /** The record as objects. */
  toTrace(): RunTrace {
    const table = this.#invocations;
    const invocations: TraceInvocation[] = [];
    const bySeq = new Map<number, TraceInvocation>();
    for (let row = 0; row < table.rows; row++) {
      const seq = table.get(row, I_SEQ);
      const stepName = this.#names[table.get(row, I_STEP)] as string;
      const end = table.get(row, I_END);
      const invocation: TraceInvocation = {
        id: `${stepName}#${seq}`,
        stepName,
        workerId: table.get(row, I_WORKER),
        inputEventId: table.get(row, I_INPUT),
        attempt: table.get(row, I_ATTEMPT),
        startedAt: table.get(row, I_START),
        endedAt: Number.isNaN(end) ? null : end,
        outcome: OUTCOMES[table.get(row, I_OUTCOME)] as Outcome,
        error: this.#errors.get(row) ?? null,
        emitted: [],
      };
      const batch = this.#batches?.get(row);
      if (batch) (invocation as { inputEventIds?: readonly number[] }).inputEventIds = batch;
      invocations.push(invocation);
      bySeq.set(seq, invocation);
    }
    const events = [];
    for (let row = 0; row < this.#events.rows; row++) {
      const id = this.#base + 1 + row;
      const producer = bySeq.get(this.#events.get(row, E_PRODUCER));
      producer?.emitted.push(id);
      events.push({
        id,
        eventType: this.#names[this.#events.get(row, E_TYPE)] as string,
        at: this.#events.get(row, E_AT),
        producedBy: producer ? producer.id : null,
        published: this.#events.get(row, E_PUBLISHED) === 1,
      });
    }
    return {
      workflowName: this.#workflowName,
      runId: this.#runId,
      status: this.#status,
      startedAt: this.#startedAt,
      endedAt: this.#endedAt,
      events,
      invocations,
    };
  }
}
