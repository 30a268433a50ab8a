/**
 * Records what a run does for `handler.trace()`. Recording is on the hot path of every event
 * and every step invocation, so rows are numbers in flat arrays (no per-row objects, nothing
 * for the garbage collector to follow); names are interned. Objects are built only when the
 * trace is asked for.
 */
import { createEventUnchecked, type Event, StepStateChanged } from "../events.js";
import { keepShape } from "../internal/shapes.js";
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
/** Rows kept in a table's first, growable array: a small run allocates no more than it uses. */
const HEAD_ROWS = 64;
/** Rows per later chunk (a fixed-size `Float64Array`, outside the JS heap, never copied). */
const CHUNK_BITS = 10;
const CHUNK_ROWS = 1 << CHUNK_BITS;

/**
 * Rows of `width` numbers: no object per row, and nothing in it for the garbage collector to
 * follow. The first rows sit in a plain array of doubles; the rest in fixed chunks, so a long
 * run's table grows without copying what it holds (a growing array is copied at every growth).
 */
class Table {
  readonly #width: number;
  #head: number[] = [];
  #chunks: Float64Array[] | null = null;
  #rows = 0;

  constructor(width: number) {
    this.#width = width;
  }

  get rows(): number {
    return this.#rows;
  }

  /** Where row `row` (>= HEAD_ROWS) starts in its chunk, making the chunk when needed. */
  #chunkFor(row: number): Float64Array {
    const index = (row - HEAD_ROWS) >> CHUNK_BITS;
    const chunks = (this.#chunks ??= []);
    if (index === chunks.length) chunks.push(new Float64Array(CHUNK_ROWS * this.#width));
    return chunks[index] as Float64Array;
  }

  #offset(row: number): number {
    return ((row - HEAD_ROWS) & (CHUNK_ROWS - 1)) * this.#width;
  }

  /** Appends a row of a 2-wide table and returns its index. */
  add2(a: number, b: number): number {
    const row = this.#rows++;
    if (row < HEAD_ROWS) {
      this.#head.push(a, b);
      return row;
    }
    const chunk = this.#chunkFor(row);
    const at = this.#offset(row);
    chunk[at] = a;
    chunk[at + 1] = b;
    return row;
  }

  /** Appends a row of a 4-wide table and returns its index. */
  add4(a: number, b: number, c: number, d: number): number {
    const row = this.#rows++;
    if (row < HEAD_ROWS) {
      this.#head.push(a, b, c, d);
      return row;
    }
    const chunk = this.#chunkFor(row);
    const at = this.#offset(row);
    chunk[at] = a;
    chunk[at + 1] = b;
    chunk[at + 2] = c;
    chunk[at + 3] = d;
    return row;
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
    const row = this.#rows++;
    if (row < HEAD_ROWS) {
      this.#head.push(a, b, c, d, e, f, g, h);
      return row;
    }
    const chunk = this.#chunkFor(row);
    const at = this.#offset(row);
    chunk[at] = a;
    chunk[at + 1] = b;
    chunk[at + 2] = c;
    chunk[at + 3] = d;
    chunk[at + 4] = e;
    chunk[at + 5] = f;
    chunk[at + 6] = g;
    chunk[at + 7] = h;
    return row;
  }

  /**
   * Gives back the spare room of the first rows' array (a growing array keeps a third more, and
   * at least 16 slots): for a table that will not grow again, as an ended run's.
   */
  compact(): void {
    if (this.#head.length > 0) this.#head = this.#head.slice();
  }

  set(row: number, column: number, value: number): void {
    if (row < HEAD_ROWS) this.#head[row * this.#width + column] = value;
    else this.#chunkFor(row)[this.#offset(row) + column] = value;
  }

  get(row: number, column: number): number {
    if (row < HEAD_ROWS) return this.#head[row * this.#width + column] as number;
    return this.#chunkFor(row)[this.#offset(row) + column] as number;
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
/** The outcome's index in OUTCOMES, plus OUTPUT_SHIFT × (interned type of the event returned + 1). */
const I_OUTCOME = 7;
const OUTPUT_SHIFT = 8;

export class TraceRecorder {
  readonly #workflowName: string;
  readonly #runId: string;
  readonly #startedAt: number;
  readonly #base: number;
  #status: TraceStatus = "running";
  #endedAt: number | null = null;
  #names: string[] = [];
  /** Made once a run has more names than a look along `#names` should take. */
  #nameIds: Map<string, number> | null = null;
  /** Events by id - base - 1: type, time, producer invocation seq (0 = from outside), published. */
  readonly #events = new Table(4);
  /** Invocations in start order. */
  readonly #invocations = new Table(8);
  #errors: Map<number, string> | null = null;
  /** Items queued for a worker: step name id, input event id (made for the first one). */
  #queued: Table | null = null;
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
    let id = this.#idOf(name);
    if (id === -1) {
      id = this.#names.push(name) - 1;
      this.#nameIds?.set(name, id);
    }
    this.#lastName = name;
    this.#lastNameId = id;
    return id;
  }

  /** The id of an interned name, or -1. */
  #idOf(name: string): number {
    const names = this.#names;
    if (this.#nameIds === null) {
      if (names.length < 16) return names.indexOf(name);
      this.#nameIds = new Map(names.map((n, i) => [n, i]));
    }
    return this.#nameIds.get(name) ?? -1;
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
    const name = this.#idOf(step);
    if (row < 0 || row >= this.#events.rows || name === -1) return;
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
    const outcome = this.#invocations.get(row, I_OUTCOME) % OUTPUT_SHIFT;
    this.#invocations.set(row, I_OUTCOME, outcome + OUTPUT_SHIFT * (this.#intern(eventType) + 1));
  }

  /** The interned type of the event invocation `row` returned, or -1. */
  #outputOf(row: number): number {
    return Math.floor(this.#invocations.get(row, I_OUTCOME) / OUTPUT_SHIFT) - 1;
  }

  #outcomeOf(row: number): number {
    return this.#invocations.get(row, I_OUTCOME) % OUTPUT_SHIFT;
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
    return (
      (this.#queued ??= new Table(2)).add2(this.#intern(step), inputEventId) * 4 + STATE_QUEUED
    );
  }

  /** The `StepStateChanged` event a code stands for. */
  stateEvent(code: number): Event {
    const kind = code & 3;
    const row = code >> 2;
    const typeOf = (id: number) =>
      this.#names[this.#events.get(id - this.#base - 1, E_TYPE)] as string;
    if (kind === STATE_QUEUED) {
      const queued = this.#queued as Table;
      return createEventUnchecked(StepStateChanged, {
        name: this.#names[queued.get(row, 0)] as string,
        stepState: "preparing",
        workerId: "<enqueued>",
        inputEventName: typeOf(queued.get(row, 1)),
        outputEventName: null,
      });
    }
    const table = this.#invocations;
    const output = kind === STATE_DONE ? this.#outputOf(row) : -1;
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
    const output = this.#outputOf(row);
    this.#invocations.set(row, I_OUTCOME, OUTCOMES.indexOf(outcome) + OUTPUT_SHIFT * (output + 1));
    if (error !== null) (this.#errors ??= new Map()).set(row, error);
  }

  /** The run ended: invocations still running were cancelled. */
  finish(status: TraceStatus, at: number): void {
    this.#status = status;
    this.#endedAt = at;
    for (let row = 0; row < this.#invocations.rows; row++) {
      if (this.#outcomeOf(row) === 0) this.ended(row, at, "cancelled", null);
    }
    // What an ended run's trace keeps, it keeps as long as its handler lives: without spare room
    // (a small run's arrays are mostly spare room).
    this.#events.compact();
    this.#invocations.compact();
    this.#queued?.compact();
    this.#names = this.#names.slice();
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
        outcome: OUTCOMES[this.#outcomeOf(row)] as Outcome,
        error: this.#errors?.get(row) ?? null,
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

// A recorder that has seen a run through, so that its shape and its tables' outlive every run
// (see internal/shapes.ts). Times are doubles, as the system clock's are.
{
  const sample = keepShape(new TraceRecorder("", "", 0.5, 0));
  sample.event("", 0.5, 0);
  sample.published(1);
  sample.output(sample.started(1, "", 0, 1, 0, 0.5), "");
  sample.ended(0, 0.5, "completed", "");
  sample.queuedCode("", 1);
  sample.finish("completed", 0.5);
}
