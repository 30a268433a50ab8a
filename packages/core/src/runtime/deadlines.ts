/**
 * One timer for the run timeouts of every run on a clock. A run's timeout (60 s by default) is
 * armed at its start and, nearly always, cleared at its end: a timer per run made every run pay
 * for a platform timer object, its callback and a cancellation. Here a run's timeout is a small
 * entry in a binary heap ordered by due time (ties by arming order), and the clock holds one
 * timer, for the earliest entry. Cancelling marks the entry; marked entries are dropped when
 * they reach the top, or all at once when more than half of the heap is marked, so a finished
 * run is not kept for the length of its timeout. When no deadline is left, a platform timer that
 * can be unreferenced (Node's) stays armed but unreferenced, so that it neither keeps the
 * process alive nor has to be made again for the next run; any other clock's is cleared.
 */
import { keepShape } from "../internal/shapes.js";
import type { Clock } from "./clock.js";

/** What a deadline calls when it falls due (a runner: no closure per run). */
export interface DeadlineTarget {
  deadlineFired(): void;
}

/** A pending deadline: `target` is cleared once it has fired or been cancelled. */
export class Deadline {
  constructor(
    readonly dueAt: number,
    readonly order: number,
    public target: DeadlineTarget | null,
  ) {}
}

function before(a: Deadline, b: Deadline): boolean {
  return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.order < b.order);
}

/** The deadlines of every run on one clock. */
export class DeadlineQueue {
  readonly #clock: Clock;
  #heap: Deadline[] = [];
  #live = 0;
  #order = 0;
  #handle: unknown = undefined;
  /** The due time the clock's timer is set for (Infinity: none). */
  #armedFor = Number.POSITIVE_INFINITY;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Tells `target` at `dueAt` (ms on the queue's clock), unless {@link cancel}led first. */
  add(dueAt: number, target: DeadlineTarget): Deadline {
    const deadline = new Deadline(dueAt, this.#order++, target);
    const heap = this.#heap;
    heap.push(deadline);
    this.#up(heap.length - 1);
    if (this.#live++ === 0) refer(this.#handle, true);
    if (deadline.dueAt < this.#armedFor) this.#arm();
    return deadline;
  }

  cancel(deadline: Deadline): void {
    if (deadline.target === null) return;
    deadline.target = null;
    this.#live--;
    if (this.#live === 0) {
      // Nothing left to fire: no timer is left pending on the clock, and nothing is kept.
      this.#heap.length = 0;
      if (!refer(this.#handle, false)) this.#disarm();
    } else if (this.#heap.length > 64 && this.#live * 2 < this.#heap.length) this.#compact();
  }

  /** How many deadlines are pending. */
  get size(): number {
    return this.#live;
  }

  readonly #onTimer = (): void => {
    this.#handle = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    try {
      while (this.#heap.length > 0 && (this.#heap[0] as Deadline).dueAt <= now) {
        const deadline = this.#pop();
        const target = deadline.target;
        if (target === null) continue;
        deadline.target = null;
        this.#live--;
        target.deadlineFired();
      }
    } finally {
      if (this.#handle === undefined) this.#arm();
    }
  };

  #arm(): void {
    this.#disarm();
    while (this.#heap.length > 0 && (this.#heap[0] as Deadline).target === null) this.#pop();
    const top = this.#heap[0];
    if (!top) return;
    this.#armedFor = top.dueAt;
    this.#handle = this.#clock.setTimeout(
      this.#onTimer,
      Math.max(0, top.dueAt - this.#clock.now()),
    );
  }

  #disarm(): void {
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #compact(): void {
    const heap = this.#heap.filter((d) => d.target !== null);
    this.#heap = heap;
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  #pop(): Deadline {
    const heap = this.#heap;
    const top = heap[0] as Deadline;
    const last = heap.pop() as Deadline;
    if (heap.length > 0) {
      heap[0] = last;
      this.#down(0);
    }
    return top;
  }

  #up(index: number): void {
    const heap = this.#heap;
    const item = heap[index] as Deadline;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent] as Deadline;
      if (!before(item, above)) break;
      heap[index] = above;
      index = parent;
    }
    heap[index] = item;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const item = heap[index] as Deadline;
    const n = heap.length;
    while (true) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child =
        right < n && before(heap[right] as Deadline, heap[left] as Deadline) ? right : left;
      if (!before(heap[child] as Deadline, item)) break;
      heap[index] = heap[child] as Deadline;
      index = child;
    }
    heap[index] = item;
  }
}

/** Refs or unrefs a timer handle that supports it (Node's); returns whether it did. */
function refer(handle: unknown, on: boolean): boolean {
  const timer = handle as { ref?: () => void; unref?: () => void } | undefined;
  if (typeof timer?.ref !== "function" || typeof timer.unref !== "function") return false;
  if (on) timer.ref();
  else timer.unref();
  return true;
}

const queues = new WeakMap<Clock, DeadlineQueue>();

/** The deadline queue of `clock`, made on first use. */
export function deadlinesOf(clock: Clock): DeadlineQueue {
  let queue = queues.get(clock);
  if (!queue) {
    queue = new DeadlineQueue(clock);
    queues.set(clock, queue);
  }
  return queue;
}

keepShape(new Deadline(0.5, 0, null));
