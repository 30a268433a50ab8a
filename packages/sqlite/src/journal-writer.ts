/**
 * Writing runs' batches to the journal file. A batch is encoded when its run hands it over and
 * written at the end of that microtask checkpoint, with every other batch handed over meanwhile
 * (by this run's neighbours), in one transaction: one commit, one sync of the file under
 * `synchronous: "full"`, for all of them. Each batch's promise settles only once that
 * transaction has committed, so a batch is on disk before any of its effects are let out, as
 * when each batch had a transaction of its own; and a run waiting for its batch gathers the
 * ticks that come meanwhile into its next one. A batch that fails (a run id already running) is
 * rolled back alone, to a savepoint; the others commit.
 */
import { RunAdmissionError, WorkflowRuntimeError } from "@stepwise/core";
import {
  encodePublished,
  encodeTick,
  errorForRun,
  type JournalBatch,
  type JournalEntry,
  type PublishedEntry,
} from "@stepwise/core/runtime";
import type Database from "better-sqlite3";
import { fileError } from "./database.js";
import type { OwnerLease } from "./owner-lease.js";

/** What a runtime keeps of a run it is writing. */
export interface OpenRun {
  /** The run's row, or null until its first batch creates it. */
  key: number | null;
  readonly runId: string;
  readonly workflow: string;
  readonly steps: string;
  readonly base: string | null;
  /** The number of the next tick. */
  ticks: number;
}

/** A batch handed over and not yet committed. */
interface PendingBatch {
  readonly run: OpenRun;
  readonly batch: JournalBatch;
  readonly ticks: readonly string[];
  readonly events: readonly string[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  /** The run's row once written (kept in `run` only when the transaction commits). */
  key: number;
  failed: boolean;
  error: unknown;
}

/** What {@link JournalWriter} needs of its runtime. */
export interface JournalWriterOptions {
  readonly db: Database.Database;
  readonly path: string;
  readonly owner: string;
  readonly lease: OwnerLease;
  /** The runtime's name, for `RunAdmissionError`s and `runtimeClosed`. */
  readonly runtime: string;
  readonly isClosed: () => boolean;
}

/** The statements and the group commit of one runtime's batches. */
export class JournalWriter {
  readonly #options: JournalWriterOptions;
  readonly #insertRun: Database.Statement<
    [string, string, string, string, string | null, number, number, number]
  >;
  readonly #insertTick: Database.Statement<[number, number, number, string]>;
  readonly #insertEvent: Database.Statement<[number, number, number, string]>;
  readonly #countBatch: Database.Statement<[number, number, number]>;
  readonly #endRun: Database.Statement<[number, number, string, number, number]>;
  readonly #findActive: Database.Statement<[string]>;
  /** One transaction for a group of batches (BEGIN IMMEDIATE: the lease is checked under it). */
  readonly #writeGroup: Database.Transaction<(group: readonly PendingBatch[]) => void>;
  /** One batch of a larger group, in a savepoint of its own. */
  readonly #writeAlone: Database.Transaction<(item: PendingBatch) => void>;
  #pending: PendingBatch[] = [];
  readonly #flush = () => this.#commit();

  constructor(options: JournalWriterOptions) {
    this.#options = options;
    const db = options.db;
    this.#insertRun = db.prepare(
      "INSERT INTO stepwise_runs (run_id, workflow, owner, status, steps, base, ticks, events, created_at) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
    ) as never;
    this.#insertTick = db.prepare(
      "INSERT INTO stepwise_ticks (run, n, at, tick) VALUES (?, ?, ?, ?)",
    );
    this.#insertEvent = db.prepare(
      "INSERT INTO stepwise_events (run, seq, internal, event) VALUES (?, ?, ?, ?)",
    );
    // A batch that does not end its run writes only the run's counts: columns of no index, so
    // the run's index entries (owner and status, the active run id) are left as they are.
    this.#countBatch = db.prepare(
      "UPDATE stepwise_runs SET ticks = ticks + ?, events = events + ? WHERE id = ?",
    );
    this.#endRun = db.prepare(
      "UPDATE stepwise_runs SET ticks = ticks + ?, events = events + ?, status = ?, ended_at = ? WHERE id = ?",
    );
    this.#findActive = db.prepare(
      "SELECT 1 FROM stepwise_runs WHERE run_id = ? AND status = 'running'",
    );
    this.#writeAlone = db.transaction((item: PendingBatch) => this.#write(item));
    this.#writeGroup = db.transaction((group: readonly PendingBatch[]) => {
      options.lease.renew();
      if (group.length === 1) {
        this.#write(group[0] as PendingBatch);
        return;
      }
      for (const item of group) {
        try {
          this.#writeAlone(item);
        } catch (error) {
          item.failed = true;
          item.error = error;
        }
      }
    });
  }

  /** Whether the file has a run in progress with this id (of any owner). */
  isActive(runId: string): boolean {
    return this.#findActive.get(runId) !== undefined;
  }

  /**
   * Encodes a batch now and resolves once it is committed.
   * @throws {@link JournalError} (`unserializable`), at once, when the batch has no JSON form.
   */
  append(run: OpenRun, batch: JournalBatch): Promise<void> {
    const ticks = batch.entries.map((entry, i) => encodeTickRow(entry, run.runId, run.ticks + i));
    const events = batch.published.map((entry) => encodeEventRow(entry, run.runId));
    return new Promise<void>((resolve, reject) => {
      const item = {
        run,
        batch,
        ticks,
        events,
        resolve,
        reject,
        key: 0,
        failed: false,
        error: null,
      };
      if (this.#pending.push(item) === 1) queueMicrotask(this.#flush);
    });
  }

  #commit(): void {
    const group = this.#pending;
    this.#pending = [];
    const { path, runtime } = this.#options;
    if (this.#options.isClosed()) {
      const closed = new WorkflowRuntimeError("runtimeClosed", { runtime: `${runtime} (${path})` });
      for (const item of group) item.reject(closed);
      return;
    }
    try {
      this.#writeGroup.immediate(group);
    } catch (error) {
      for (const item of group) item.reject(fileError(error, path, journaling(item.run)));
      return;
    }
    for (const item of group) {
      if (item.failed) {
        item.reject(fileError(item.error, path, journaling(item.run)));
        continue;
      }
      item.run.key = item.key;
      item.run.ticks += item.ticks.length;
      item.resolve();
    }
  }

  /** Writes one batch (inside the group's transaction); what it wrote is kept in `run` after the commit. */
  #write(item: PendingBatch): void {
    const { run, batch, ticks, events } = item;
    let key = run.key;
    // What the run's row has yet to count: this batch's rows, unless the row is made with them.
    let newTicks = ticks.length;
    let newEvents = events.length;
    if (key === null) {
      try {
        const created = this.#insertRun.run(
          run.runId,
          run.workflow,
          this.#options.owner,
          run.steps,
          run.base,
          newTicks,
          newEvents,
          Date.now(),
        );
        key = Number(created.lastInsertRowid);
      } catch (error) {
        if ((error as { code?: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE") {
          throw new RunAdmissionError("duplicateRunId", run.runId, this.#options.runtime);
        }
        throw error;
      }
      newTicks = 0;
      newEvents = 0;
    }
    const entries = batch.entries;
    for (let i = 0; i < ticks.length; i++) {
      const entry = entries[i] as JournalEntry;
      this.#insertTick.run(key, run.ticks + i, entry.at, ticks[i] as string);
    }
    const published = batch.published;
    for (let i = 0; i < events.length; i++) {
      const entry = published[i] as PublishedEntry;
      this.#insertEvent.run(key, entry.seq, entry.internal ? 1 : 0, events[i] as string);
    }
    if (batch.ended) this.#endRun.run(newTicks, newEvents, batch.ended, Date.now(), key);
    else if (run.key !== null) this.#countBatch.run(newTicks, newEvents, key);
    item.key = key;
  }
}

function journaling(run: OpenRun): string {
  return `journaling run \`${run.runId}\``;
}

/** A tick's row text: JSON of the tick codec (a `JournalError` naming the run if it has none). */
function encodeTickRow(entry: JournalEntry, runId: string, n: number): string {
  try {
    return JSON.stringify(encodeTick(entry.tick));
  } catch (error) {
    throw errorForRun(error, runId, n);
  }
}

/** A published event's row text, as {@link encodeTickRow}. */
function encodeEventRow(entry: PublishedEntry, runId: string): string {
  try {
    return JSON.stringify(encodePublished(entry));
  } catch (error) {
    throw errorForRun(error, runId);
  }
}
