/**
 * The run's event stream: a single-consumer async iterable, buffered from the start of the run,
 * that always ends (after the terminal event).
 */
import { WorkflowRuntimeError } from "./errors.js";
import type { Event } from "./events.js";

interface Entry {
  readonly event: Event;
  readonly internal: boolean;
}

/** @internal Owned by the runner: `push` publishes, `close` ends the stream. */
export class EventStream {
  #buffer: Entry[] = [];
  #head = 0;
  #closed = false;
  #consumed = false;
  /** Set once the consumer has stopped iterating (broke out, threw, or returned): stop buffering. */
  #left = false;
  #wake: (() => void) | null = null;
  /** Whether the consumer asked for internal events (set before the run starts publishing). */
  wantsInternal = false;

  push(event: Event, internal: boolean): void {
    if (this.#closed || this.#left) return;
    if (internal && !this.wantsInternal) return;
    this.#buffer.push({ event, internal });
    this.#notify();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#notify();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  #notify(): void {
    const wake = this.#wake;
    if (wake) {
      this.#wake = null;
      wake();
    }
  }

  /** Starts the single consumer. */
  consume(includeInternal: boolean): AsyncIterable<Event> {
    if (this.#consumed) {
      throw new WorkflowRuntimeError(
        "The event stream of this run was already consumed; `streamEvents()` can be called once per run.",
      );
    }
    this.#consumed = true;
    if (includeInternal) this.wantsInternal = true;
    else this.#buffer = this.#buffer.filter((entry) => !entry.internal);
    let iterating = false;
    return {
      [Symbol.asyncIterator]: () => {
        if (iterating) {
          throw new WorkflowRuntimeError(
            "This event stream is already being iterated; a run's stream has one consumer. Iterate it in one `for await` loop, and share the events from there.",
          );
        }
        iterating = true;
        return this.#iterate(includeInternal);
      },
    };
  }

  async *#iterate(includeInternal: boolean): AsyncGenerator<Event> {
    try {
      while (true) {
        while (this.#head < this.#buffer.length) {
          const entry = this.#buffer[this.#head++] as Entry;
          if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
            this.#buffer = this.#buffer.slice(this.#head);
            this.#head = 0;
          }
          if (entry.internal && !includeInternal) continue;
          yield entry.event;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      // The consumer is gone (or the stream ended): nothing more is kept for it.
      this.#left = true;
      this.wantsInternal = false;
      this.#buffer = [];
      this.#head = 0;
    }
  }
}
