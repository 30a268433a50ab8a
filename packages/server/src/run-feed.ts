/**
 * One run's published events as the server serves them: numbered as the run's log numbers them,
 * each encoded to JSON once however many streams read it, with listeners that a dropped stream
 * removes at once (a stream waiting on the run's own log would hold on until the next event).
 */
import { type Event, StopEvent, type WorkflowHandler } from "@stepwise/core";
import { type EventEnvelope, envelopeJson, envelopeOf } from "./envelope.js";
import type { StoredEvent } from "./handler-store.js";

/** One numbered event of a feed. */
export class FeedEntry {
  #envelope: EventEnvelope | null;
  #json: string | null = null;
  #jsonWithoutName: string | null = null;

  constructor(
    readonly seq: number,
    readonly internal: boolean,
    /** Whether it ends the stream (a stop event or one of its subclasses). */
    readonly isTerminal: boolean,
    readonly event: Event | null,
    envelope: EventEnvelope | null = null,
  ) {
    this.#envelope = envelope;
  }

  get envelope(): EventEnvelope {
    this.#envelope ??= envelopeOf(this.event as Event);
    return this.#envelope;
  }

  /** The envelope as compact JSON, with or without its `qualified_name`. */
  json(includeQualifiedName: boolean): string {
    if (includeQualifiedName) {
      this.#json ??= envelopeJson(this.envelope);
      return this.#json;
    }
    this.#jsonWithoutName ??= envelopeJson({ ...this.envelope, qualified_name: null });
    return this.#jsonWithoutName;
  }
}

/** The numbered events of one run, growing until the run ends. */
export class RunFeed {
  readonly #entries: FeedEntry[] = [];
  readonly #listeners = new Set<() => void>();
  #first = 0;
  #isEnded = false;

  /** The sequence number of the latest entry (-1 before the first). */
  get lastSeq(): number {
    return this.#first + this.#entries.length - 1;
  }

  get isEnded(): boolean {
    return this.#isEnded;
  }

  /** How many streams are waiting for the next entry. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** The entry with this sequence number, if the feed has it. */
  at(seq: number): FeedEntry | undefined {
    return this.#entries[seq - this.#first];
  }

  push(entry: FeedEntry): void {
    if (this.#isEnded) return;
    if (this.#entries.length === 0) this.#first = entry.seq;
    else if (entry.seq !== this.lastSeq + 1) return;
    this.#entries.push(entry);
    this.#notify();
  }

  end(): void {
    if (this.#isEnded) return;
    this.#isEnded = true;
    this.#notify();
  }

  /** Calls `listener` once, on the next entry or the end; returns a function that cancels it. */
  once(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }

  /** A feed that has ended, of events a store kept. */
  static fromStored(events: readonly StoredEvent[]): RunFeed {
    const feed = new RunFeed();
    for (const stored of events) {
      if ("event" in stored) {
        const isTerminal = stored.event instanceof StopEvent;
        feed.push(new FeedEntry(stored.seq, stored.internal, isTerminal, stored.event));
        continue;
      }
      const types = stored.envelope.types ?? [];
      const isTerminal = stored.envelope.type === "StopEvent" || types.includes("StopEvent");
      feed.push(new FeedEntry(stored.seq, stored.internal, isTerminal, null, stored.envelope));
    }
    feed.end();
    return feed;
  }
}

/**
 * Follows a run's log into `feed`, internal events included, from its first event. When the
 * terminal event comes, `onTerminal` runs (the server records how the run ended) before the
 * event is put on the feed, so a client that sees it finds the handler's record final.
 * `onEntry` sees every other entry as it is put on the feed.
 */
export async function pumpRun(
  handler: WorkflowHandler,
  feed: RunFeed,
  onTerminal: (event: Event | null) => Promise<void>,
  onEntry: ((entry: FeedEntry) => void) | null = null,
): Promise<void> {
  let terminal: FeedEntry | null = null;
  try {
    for await (const logged of handler.subscribe({ after: -1, includeInternal: true })) {
      const isTerminal = logged.event instanceof StopEvent;
      const entry = new FeedEntry(logged.seq, logged.internal, isTerminal, logged.event);
      if (isTerminal) {
        terminal = entry;
        break;
      }
      feed.push(entry);
      onEntry?.(entry);
    }
  } finally {
    try {
      await onTerminal(terminal?.event ?? null);
    } finally {
      if (terminal) feed.push(terminal);
      feed.end();
    }
  }
}
