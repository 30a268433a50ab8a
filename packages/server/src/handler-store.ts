/**
 * Where the server keeps a record of every handler it started (the Python server's
 * `HandlerData` rows), so that handlers of ended runs stay listable with their result or error.
 * In memory by default; a durable store (e.g. next to a SQLite runtime's journal) keeps them
 * across restarts. See ARCHITECTURE.md beside this package.
 */
import type { Event, Workflow } from "@stepwise/core";
import type { EventEnvelope } from "./envelope.js";

/** A handler's status, as on the wire. */
export type HandlerStatus = "running" | "completed" | "failed" | "cancelled";

/** Every {@link HandlerStatus}. */
export const HANDLER_STATUSES: readonly HandlerStatus[] = [
  "running",
  "completed",
  "failed",
  "cancelled",
];

/** A value that may come at once or later. */
export type MaybePromise<T> = T | Promise<T>;

/** What the server records of one handler: plain JSON data. */
export interface HandlerRecord {
  readonly handlerId: string;
  /** The name the workflow is served under. */
  readonly workflowName: string;
  /** The run's id on the runtime (a handler id reused for a new run gets a new run id). */
  readonly runId: string;
  readonly status: HandlerStatus;
  /** The message of the run's error (failed runs). */
  readonly error: string | null;
  /** The stop event's envelope (completed runs). */
  readonly result: EventEnvelope | null;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly completedAt: number | null;
}

/** Which records {@link HandlerStore.list} returns; an absent field does not filter. */
export interface HandlerQuery {
  readonly status?: readonly HandlerStatus[];
  readonly workflowName?: readonly string[];
}

/**
 * An event a run published, as a store keeps it for runs no longer in this process: as its
 * envelope, or as the event (a journal's, revived with the workflow's event classes).
 */
export type StoredEvent = {
  readonly seq: number;
  /** `StepStateChanged`, `WorkflowIdleEvent`, `UnhandledEvent`. */
  readonly internal: boolean;
} & ({ readonly envelope: EventEnvelope } | { readonly event: Event });

/**
 * Where handler records live. Every method may answer at once or with a promise; the server
 * awaits each. A record is written before its run starts and again when the run ends.
 */
export interface HandlerStore {
  /** Inserts or replaces the record with this `handlerId`. */
  put(record: HandlerRecord): MaybePromise<void>;
  get(handlerId: string): MaybePromise<HandlerRecord | undefined>;
  /** The records that match, in the order they were first put. */
  list(query?: HandlerQuery): MaybePromise<readonly HandlerRecord[]>;
  /** Removes a record; resolves to whether there was one. */
  delete(handlerId: string): MaybePromise<boolean>;
  /**
   * What a run published, for a handler whose run is not in this process (it ended before a
   * restart): read from a durable runtime's journal (`workflow` is the one served under the
   * record's name, when it still is). A store without it serves such handlers' records but not
   * their streams. `@stepwise/sqlite`'s `runtime.handlerStore()` has it.
   */
  events?(
    record: HandlerRecord,
    workflow: Workflow | undefined,
  ): MaybePromise<readonly StoredEvent[] | null>;
}

/** Keeps handler records in this process: they live as long as the server does. */
export class MemoryHandlerStore implements HandlerStore {
  readonly #records = new Map<string, HandlerRecord>();

  put(record: HandlerRecord): void {
    this.#records.set(record.handlerId, record);
  }

  get(handlerId: string): HandlerRecord | undefined {
    return this.#records.get(handlerId);
  }

  list(query: HandlerQuery = {}): readonly HandlerRecord[] {
    const { status, workflowName } = query;
    return [...this.#records.values()].filter(
      (record) =>
        (status === undefined || status.includes(record.status)) &&
        (workflowName === undefined || workflowName.includes(record.workflowName)),
    );
  }

  delete(handlerId: string): boolean {
    return this.#records.delete(handlerId);
  }
}
