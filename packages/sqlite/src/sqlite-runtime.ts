/**
 * `SqliteRuntime`: runs execute in this process, as with the in-memory runtime, and every run is
 * journaled in one SQLite file: each drain batch of the loop (its ticks and the events it
 * published) is committed before any of its effects can be seen, in one transaction with the
 * batches other runs handed over in the same turn (see `journal-writer.ts`). After a crash,
 * `recover([workflows])` rebuilds each unfinished run of this owner from its journal and resumes
 * it: steps whose result was journaled do not run again, and the run's stream goes on with the
 * next sequence number.
 */
import {
  JournalError,
  RunAdmissionError,
  type Workflow,
  type WorkflowHandler,
  WorkflowRuntimeError,
} from "@stepwise/core";
import {
  type HandlerRow,
  type JournalBatch,
  LocalRuntime,
  type LocalRuntimeOptions,
  type RunInfo,
  type RunJournal,
  type StartRunRequest,
  type StoredRun,
  type WorkflowSpec,
  workflowSpec,
} from "@stepwise/core/runtime";
import type Database from "better-sqlite3";
import { fileError, openJournalFile, type Synchronous } from "./database.js";
import { SqliteHandlerStore } from "./handler-store.js";
import { JournalWriter, type OpenRun } from "./journal-writer.js";
import { type RunRow, readRun, stepNames } from "./load-run.js";
import { OwnerLease } from "./owner-lease.js";

/** Options of {@link SqliteRuntime}. */
export interface SqliteRuntimeOptions extends LocalRuntimeOptions {
  /** The journal file; created if missing. One file holds every run of every owner. */
  path: string;
  /**
   * Whose runs these are: `recover()` picks up the unfinished runs of this owner, and only one
   * live runtime may hold an owner at a time. @default "default"
   */
  owner?: string;
  /** How long a write waits for another process's write to the file, in ms. @default 5000 */
  busyTimeout?: number;
  /**
   * `"full"` syncs every batch to disk (a run survives a power cut); `"normal"` survives a
   * crashed or killed process only, and commits faster. @default "full"
   */
  synchronous?: Synchronous;
  /**
   * How long an owner's lease lasts without a heartbeat, in ms: after that, a runtime on
   * another host (or one that finds the holder hung) may take the owner over. A holder on this
   * host that has exited frees it at once. @default 30000
   */
  leaseMs?: number;
}

const OPTION_NAMES = new Set([
  "path",
  "owner",
  "busyTimeout",
  "synchronous",
  "leaseMs",
  "clock",
  "observers",
]);

/**
 * Durable runs on one machine: a runtime whose runs are journaled in one SQLite file (WAL mode,
 * each drain batch committed before its effects are seen) and recovered after a crash.
 * @example
 * const runtime = new SqliteRuntime({ path: "runs.db" });
 * const wf = new MyFlow({ runtime });
 * await runtime.recover([wf]); // runs a crash interrupted go on
 * const result = await wf.run({ topic: "pirates" });
 * @throws {@link JournalError} when the file is damaged (`corrupt`), not a journal
 * (`notAJournal`), of a newer format (`unsupportedVersion`), or held by another live runtime
 * of the same owner (`locked`).
 */
export class SqliteRuntime extends LocalRuntime {
  override readonly name: string = "sqlite";
  /** The journal file. */
  readonly path: string;
  /** Whose runs this runtime writes and recovers. */
  readonly owner: string;
  readonly #db: Database.Database;
  readonly #lease: OwnerLease;
  readonly #writer: JournalWriter;
  /** Runs `recover()` read, waiting for their runner to open their journal again. */
  readonly #recovered = new Map<string, OpenRun>();
  #closed = false;
  #handlerStore: SqliteHandlerStore<HandlerRow> | undefined;

  constructor(options: SqliteRuntimeOptions) {
    super(checkOptions(options));
    this.path = options.path;
    this.owner = options.owner ?? "default";
    this.#db = openJournalFile({
      path: this.path,
      busyTimeout: options.busyTimeout ?? 5000,
      synchronous: options.synchronous ?? "full",
    });
    try {
      this.#lease = new OwnerLease(this.#db, this.path, this.owner, options.leaseMs ?? 30_000);
    } catch (error) {
      this.#db.close();
      throw error;
    }
    this.#writer = new JournalWriter({
      db: this.#db,
      path: this.path,
      owner: this.owner,
      lease: this.#lease,
      runtime: this.name,
      isClosed: () => this.#closed,
    });
  }

  protected override get keepsEvents(): boolean {
    return true;
  }

  protected override openJournal(info: RunInfo, request: StartRunRequest): RunJournal {
    this.#checkOpen();
    const recovered = request.startEvent === null ? this.#recovered.get(info.runId) : undefined;
    this.#recovered.delete(info.runId);
    let run: OpenRun;
    if (recovered) {
      run = recovered;
    } else {
      if (this.#writer.isActive(info.runId)) {
        throw new RunAdmissionError("duplicateRunId", info.runId, this.name);
      }
      run = {
        key: null,
        runId: info.runId,
        workflow: info.workflowName,
        steps: stepsText(workflowSpec(request.workflow)),
        // A run resumed from a snapshot is rebuilt from the snapshot plus its ticks.
        base: request.startEvent === null ? JSON.stringify(request.ctx.toJSON()) : null,
        ticks: 0,
      };
    }
    return { append: (batch) => this.#append(run, batch) };
  }

  #append(run: OpenRun, batch: JournalBatch): Promise<void> {
    this.#checkOpen();
    return this.#writer.append(run, batch);
  }

  /**
   * Rebuilds and resumes every unfinished run of this owner whose workflow is given (by name).
   * Every such run's journal is read and checked before any of them starts.
   * @throws {@link JournalError} naming the run when a journal is damaged or truncated
   * (`corrupt`, `malformed`), holds events the workflow cannot read (`unknownEventType`,
   * `invalidEvent`), or was written by a version of the workflow with other steps
   * (`stepsDiffer`, `unknownStep`); no run is started then. {@link SqliteRuntime.abandonRun}
   * gives such a run up.
   */
  override async recover(workflows: readonly Workflow[]): Promise<readonly WorkflowHandler[]> {
    this.#checkOpen();
    try {
      return await super.recover(workflows);
    } finally {
      this.#recovered.clear();
    }
  }

  protected override async loadUnfinished(
    workflows: ReadonlyMap<string, Workflow>,
  ): Promise<readonly StoredRun[]> {
    return this.#loadRuns(workflows, null);
  }

  /** Reads (synchronously) the unfinished runs of this owner, or only run `only`. */
  #loadRuns(workflows: ReadonlyMap<string, Workflow>, only: string | null): StoredRun[] {
    let rows: RunRow[];
    try {
      const select =
        "SELECT id, run_id, workflow, steps, base, ticks, events FROM stepwise_runs WHERE owner = ? AND status = 'running'";
      rows = (
        only === null
          ? this.#db.prepare(`${select} ORDER BY id`).all(this.owner)
          : this.#db.prepare(`${select} AND run_id = ?`).all(this.owner, only)
      ) as RunRow[];
    } catch (error) {
      throw fileError(error, this.path, "listing its unfinished runs");
    }
    const stored: StoredRun[] = [];
    for (const row of rows) {
      const workflow = workflows.get(row.workflow);
      if (!workflow || this.getRun(row.run_id)) continue;
      try {
        stored.push(readRun(this.#db, row, workflowSpec(workflow)));
      } catch (error) {
        throw fileError(error, this.path, `reading run \`${row.run_id}\``);
      }
    }
    for (const run of stored) {
      const row = rows.find((r) => r.run_id === run.runId) as RunRow;
      this.#recovered.set(run.runId, {
        key: row.id,
        runId: row.run_id,
        workflow: row.workflow,
        steps: row.steps,
        base: row.base,
        ticks: row.ticks,
      });
    }
    return stored;
  }

  /**
   * Releases a run that waits idle (no step running or queued, no retry pending: it waits for
   * an event from outside, a human's answer say) from memory without ending it. Everything it
   * did is in its journal; {@link SqliteRuntime.resumeRun} rebuilds it from there. Its timers
   * (the run's timeout, a `waitForEvent` timeout) do not fire while it is released: resume it
   * by `wakeAt` for them to fire.
   * @returns null when no such run is in progress here or it is not idle; else `wakeAt`, when
   * its next timer falls due (the clock's milliseconds), or null when it has none.
   */
  releaseIdleRun(runId: string): { readonly wakeAt: number | null } | null {
    const runner = this.runnerOf(runId);
    if (!runner || runner.isEnded) return null;
    const state = runner.state;
    const isIdle =
      state.status === "running" &&
      state.idleNotified &&
      state.active === 0 &&
      state.queued === 0 &&
      state.retriesPending === 0;
    if (!isIdle) return null;
    let wakeAt: number | null = null;
    for (const timer of Object.values(state.timers)) {
      if (wakeAt === null || timer.dueAt < wakeAt) wakeAt = timer.dueAt;
    }
    this.releaseRun(runId);
    return { wakeAt };
  }

  /**
   * Rebuilds one unfinished run of this owner from its journal and resumes it here, as
   * `recover()` does for all of them: a run released by {@link SqliteRuntime.releaseIdleRun},
   * or one another runtime of this owner left. Its log keeps its journaled events and numbers.
   * @returns its handler (the one in progress here, if it is), in an object because a handler
   * is a thenable; null when the file has no unfinished run of `workflow` with this id.
   * @throws {@link JournalError} as `recover()` does, when its journal cannot be read back.
   */
  async resumeRun(
    workflow: Workflow,
    runId: string,
  ): Promise<{ readonly handler: WorkflowHandler } | null> {
    this.#checkOpen();
    const running = this.getRun(runId);
    if (running) return { handler: running };
    const stored = this.#loadRuns(new Map([[workflowSpec(workflow).name, workflow]]), runId)[0];
    if (!stored) return null;
    try {
      return { handler: this.resumeStored(workflow, stored) };
    } finally {
      this.#recovered.delete(runId);
    }
  }

  /**
   * Gives up an unfinished run of this owner that is not in progress here: `recover()` no
   * longer picks it up (its journal stays in the file, marked `abandoned`).
   * @returns whether there was such a run.
   */
  abandonRun(runId: string): boolean {
    this.#checkOpen();
    if (this.getRun(runId)) {
      throw new WorkflowRuntimeError("runInProgress", { runId, runtime: this.name });
    }
    const result = this.#db
      .prepare(
        "UPDATE stepwise_runs SET status = 'abandoned', ended_at = ? WHERE run_id = ? AND owner = ? AND status = 'running'",
      )
      .run(Date.now(), runId, this.owner);
    return result.changes > 0;
  }

  /**
   * A store for a workflow server's handler records in this file (`@stepwise/server`'s
   * `HandlerStore`): `createServer({ workflows, runtime, store: runtime.handlerStore() })`.
   * Handlers, their results and the events of their runs then survive a restart.
   */
  handlerStore<R extends HandlerRow = HandlerRow>(): SqliteHandlerStore<R> {
    this.#checkOpen();
    this.#handlerStore ??= new SqliteHandlerStore(this.#db, this.path, () => this.#checkOpen());
    return this.#handlerStore as SqliteHandlerStore<R>;
  }

  /**
   * Gives up the owner and closes the file. Runs still in progress here fail at their next
   * batch; their journals stay unfinished, for `recover()` in a later runtime.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#lease.release();
    } finally {
      this.#db.close();
    }
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new WorkflowRuntimeError("runtimeClosed", { runtime: `${this.name} (${this.path})` });
    }
  }
}

/** A spec's step names as its runs' rows record them, made once per spec (a spec is rebuilt when its steps change). */
const stepsTexts = new WeakMap<WorkflowSpec, string>();

function stepsText(spec: WorkflowSpec): string {
  let text = stepsTexts.get(spec);
  if (text === undefined) {
    text = JSON.stringify(stepNames(spec));
    stepsTexts.set(spec, text);
  }
  return text;
}

function checkOptions(options: SqliteRuntimeOptions): SqliteRuntimeOptions {
  const problems: string[] = [];
  if (options === null || typeof options !== "object") {
    throw new WorkflowRuntimeError("invalidRuntimeOptions", {
      runtime: "SqliteRuntime",
      problems: ['give an options object with a `path`, e.g. `{ path: "runs.db" }`'],
    });
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      problems.push(`unknown option \`${key}\` (valid: ${[...OPTION_NAMES].join(", ")})`);
    }
  }
  if (typeof options.path !== "string" || options.path === "") {
    problems.push("`path` must be the journal file's path, a non-empty string");
  }
  if (options.owner !== undefined && (typeof options.owner !== "string" || options.owner === "")) {
    problems.push("`owner` must be a non-empty string");
  }
  for (const key of ["busyTimeout", "leaseMs"] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      problems.push(`\`${key}\` must be a whole number of ms >= 0; got ${String(value)}`);
    }
  }
  if (options.synchronous !== undefined && !["full", "normal"].includes(options.synchronous)) {
    problems.push(`\`synchronous\` must be "full" or "normal"; got ${String(options.synchronous)}`);
  }
  if (problems.length > 0) {
    throw new WorkflowRuntimeError("invalidRuntimeOptions", { runtime: "SqliteRuntime", problems });
  }
  return options;
}
