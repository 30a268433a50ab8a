/**
 * The numbered log of what a run published: every event gets the next sequence number (0, 1,
 * ...), internal events included, so the numbers are the same for every reader. Any number of
 * subscribers follow it, each from a sequence number of its choice, in order, with nothing
 * missed and nothing twice; every subscription ends when the run ends.
 */
import { WorkflowRuntimeError } from "../errors.js";
import type { Event } from "../events.js";
import { keepShape } from "../internal/shapes.js";

/**
 * An internal event recorded as data, made into an event only when someone reads it: runs
 * record them all (a late subscriber gets them from the start) at the cost of one small object.
 */
export abstract class InternalEntry {
  #event: Event | null = null;

  protected abstract make(): Event;

  get event(): Event {
    this.#event ??= this.make();
    return this.#event;
  }
}

/** One entry of the log, as a subscriber sees it. */
export interface LoggedEvent {
  readonly seq: number;
  readonly event: Event;
  /** `StepStateChanged`, `WorkflowIdleEvent`, `UnhandledEvent`. */
  readonly internal: boolean;
}

/** Where a subscription starts: after this sequence number (`-1`: from the start). */
export interface SubscribeOptions {
  readonly after?: number;
  readonly includeInternal?: boolean;
}

/**
 * An entry: a published event, an internal one as a small object, or a number that the log's
 * `resolve` makes into an internal event (the run's trace keeps what it needs).
 */
type Entry = Event | InternalEntry | number;

/** @internal Owned by the runner: `append` publishes, `close` ends every subscription. */
export class RunLog {
  /** Entries from `#first` on; `#entries[i]` has sequence number `#first + i`. */
  #entries: Entry[] = [];
  #first = 0;
  #closed = false;
  #wakers: (() => void)[] | null = null;
  /** Whether entries are kept for subscribers yet to come. */
  #keep = true;
  #live = 0;
  /** Makes the internal event a numeric entry stands for. */
  #resolve: { stateEvent(code: number): Event } | null = null;
  /** While held (a batch not yet journaled), subscribers are not woken. */
  #held = false;

  /** The sequence number the next entry gets. */
  get nextSeq(): number {
    return this.#first + this.#entries.length;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Where numeric entries come from: set once, before the first one is appended. */
  resolveWith(resolve: { stateEvent(code: number): Event }): void {
    this.#resolve = resolve;
  }

  /**
   * Appends an event (an {@link InternalEntry} or a code for `resolveWith` for internal ones);
   * returns its sequence number, -1 once closed.
   */
  append(entry: Event | InternalEntry | number): number {
    if (this.#closed) return -1;
    const seq = this.nextSeq;
    if (this.#keep || this.#live > 0) this.#entries.push(entry);
    else this.#first++;
    this.#wake();
    return seq;
  }

  #visibleAt = 0;

  /** Entries a subscriber may read: all of them, or while held, those logged before the hold. */
  #visibleEnd(): number {
    return this.#held ? this.#visibleAt : this.nextSeq;
  }

  /** Ends every subscription once it has read what is logged. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Nothing is appended any more: what is kept for later readers is kept without spare room.
    if (this.#entries.length > 0) this.#entries = this.#entries.slice();
    this.#wake();
  }

  /**
   * Stops keeping entries for subscribers yet to come (what current subscribers have not read
   * is still theirs). Called when the run's only in-process reader has left.
   */
  stopKeeping(): void {
    this.#keep = false;
    if (this.#live === 0) {
      this.#first += this.#entries.length;
      this.#entries = [];
    }
  }

  /** Holds back waking subscribers until {@link release}: what is appended meanwhile is not seen yet. */
  hold(): void {
    if (!this.#held) this.#visibleAt = this.nextSeq;
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    this.#wake();
  }

  #wake(): void {
    const wakers = this.#wakers;
    if (this.#held || wakers === null || wakers.length === 0) return;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }

  /**
   * Follows the log from after `after` (`-1`: from the start; `nextSeq - 1`: only new entries).
   * @throws {@link WorkflowRuntimeError} when entries it asks for were not kept.
   */
  subscribe(options: SubscribeOptions = {}): AsyncIterable<LoggedEvent> {
    const after = Math.max(-1, Math.trunc(options.after ?? -1));
    if (after + 1 < this.#first) {
      throw new WorkflowRuntimeError("eventsNotKept", { after, first: this.#first });
    }
    return this.#follow(after + 1, options.includeInternal === true);
  }

  async *#follow(start: number, includeInternal: boolean): AsyncGenerator<LoggedEvent> {
    let seq = start;
    this.#live++;
    try {
      while (true) {
        while (seq < this.#visibleEnd()) {
          const index = seq - this.#first;
          const current = seq++;
          if (index < 0) continue;
          const entry = this.#entries[index] as Entry;
          if (typeof entry === "number") {
            if (!includeInternal) continue;
            yield {
              seq: current,
              event: (this.#resolve as { stateEvent(code: number): Event }).stateEvent(entry),
              internal: true,
            };
            continue;
          }
          const internal = entry instanceof InternalEntry;
          if (internal && !includeInternal) continue;
          yield { seq: current, event: internal ? entry.event : entry, internal };
        }
        if (this.#closed && !this.#held) return;
        await new Promise<void>((resolve) => (this.#wakers ??= []).push(resolve));
      }
    } finally {
      this.#live--;
      if (!this.#keep && this.#live === 0) {
        this.#first += this.#entries.length;
        this.#entries = [];
      }
    }
  }
}

// A log that has been written, read and closed outlives every run (see internal/shapes.ts).
{
  const sample = keepShape(new RunLog());
  sample.resolveWith({ stateEvent: () => null as unknown as Event });
  sample.append(0);
  sample.hold();
  sample.release();
  sample.close();
}
