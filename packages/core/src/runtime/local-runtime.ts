/**
 * A runtime whose runs execute in this process: admission (duplicate run ids,
 * `numConcurrentRuns`), the table of runs in progress, signals, and recovery from a journal.
 * The in-memory runtime is this with no journal; `@stepwise/sqlite` adds one.
 */
import { attachRun, Context, createStepContext, restoredContext, restoredRun } from "../context.js";
import { RunAdmissionError } from "../errors.js";
import { WorkflowHandler } from "../handler.js";
import { workflowSpec } from "../internal/workflow-registry.js";
import { JournalError } from "../journal-error.js";
import type { Workflow } from "../workflow.js";
import type {
  JournalEntry,
  PublishedEntry,
  RunInfo,
  RunJournal,
  RunServices,
  RunSummary,
  Runtime,
  StartRunRequest,
} from "./adapter.js";
import { type Clock, systemClock } from "./clock.js";
import type { Invocation } from "./invocation.js";
import { clearArray } from "./loop-support.js";
import type { RunObserver } from "./observer.js";
import { type RebuildBase, rebuildRun } from "./rebuild.js";
import { Runner } from "./runner.js";

/** Options of a {@link LocalRuntime}. */
export interface LocalRuntimeOptions {
  /** Time and timers. @default the system clock */
  clock?: Clock;
  /** Told what happens in every run of this runtime. */
  observers?: readonly RunObserver[];
}

/** A run as a journal stored it, for {@link LocalRuntime.recover}. */
export interface StoredRun extends RunInfo {
  readonly entries: readonly JournalEntry[];
  readonly published: readonly PublishedEntry[];
  /**
   * For a run resumed from a snapshot: that snapshot (`ctx.toJSON()` as the run started), which
   * its journal continues from. Absent for a run journaled from its start.
   */
  readonly base?: unknown;
}

interface Slots {
  running: number;
  readonly waiting: (() => void)[];
}

const RESOLVED = Promise.resolve();

/** Runs workflows in this process; subclasses journal them. */
export class LocalRuntime implements Runtime {
  readonly name: string = "local";
  readonly clock: Clock;
  readonly #observers: readonly RunObserver[];
  readonly #runs = new Map<
    string,
    { handler: WorkflowHandler; workflowName: string; runner: Runner }
  >();
  readonly #slots = new WeakMap<object, Slots>();
  /** Services shared by every run without a journal (built on first use: `keepsEvents` is a subclass's). */
  #plain: RunServices | null = null;
  /**
   * Runs admitted and waiting to start, in order: one starts per promise job, so runs started
   * together go through their first steps one behind the other rather than all at once, and
   * fewer of them are half-way through (alive, for the garbage collector to copy) at a time.
   */
  readonly #toStart: Runner[] = [];
  #toStartHead = 0;
  /** What every run of this runtime shares (a journal and `keepEvents` are added per run). */
  readonly #services: RunServices;
  readonly #startNext = () => {
    const runners = this.#toStart;
    const runner = runners[this.#toStartHead++] as Runner;
    // The next one's job is queued before this one's first step: starts stay in admission order.
    if (this.#toStartHead === runners.length) {
      this.#toStartHead = 0;
      clearArray(runners);
    } else {
      void RESOLVED.then(this.#startNext);
      // Runs admitted as fast as they start keep the queue from emptying: drop its started part.
      if (this.#toStartHead >= 1024 && this.#toStartHead * 2 >= runners.length) {
        runners.copyWithin(0, this.#toStartHead);
        runners.length -= this.#toStartHead;
        this.#toStartHead = 0;
      }
    }
    runner.start();
  };

  #plainServices(): RunServices {
    this.#plain ??= { ...this.#services, keepEvents: this.keepsEvents };
    return this.#plain;
  }

  #startSoon(runner: Runner): void {
    // A promise job rather than `queueMicrotask`, which in Node makes an AsyncResource per call;
    // `#startNext` cannot throw (a run catches its own failures), and if it did, Node reports it.
    if (this.#toStart.push(runner) === 1) void RESOLVED.then(this.#startNext);
  }

  constructor(options: LocalRuntimeOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.#observers = options.observers ?? [];
    this.#services = {
      clock: this.clock,
      journal: null,
      observers: this.#observers,
      ended: (runner: Runner) => {
        this.#runs.delete(runner.runId);
      },
    };
  }

  /** Where a run's batches go: null keeps nothing (the in-memory runtime). */
  protected openJournal(_info: RunInfo, _request: StartRunRequest): RunJournal | null {
    return null;
  }

  /** Whether run logs keep every event for subscribers that come later. */
  protected get keepsEvents(): boolean {
    return false;
  }

  /** The unfinished runs this runtime owns of the given workflows (by name), as their journals stored them. */
  protected async loadUnfinished(
    _workflows: ReadonlyMap<string, Workflow>,
  ): Promise<readonly StoredRun[]> {
    return [];
  }

  startRun(request: StartRunRequest): WorkflowHandler {
    return this.startLocal(request);
  }

  /**
   * Admits and starts a run in this process (what `startRun` does here). A runtime that
   * overrides `startRun` (to run elsewhere) calls this where the run does execute here.
   */
  protected startLocal(request: StartRunRequest): WorkflowHandler {
    const workflow = request.workflow;
    const spec = workflowSpec(workflow);
    const info: RunInfo = { runId: request.runId, workflowName: spec.name };
    if (this.#runs.has(info.runId))
      throw new RunAdmissionError("duplicateRunId", info.runId, this.name);
    const journal = this.openJournal(info, request);
    const runner = new Runner({
      spec,
      services: journal
        ? { ...this.#services, journal, keepEvents: this.keepsEvents }
        : this.#plainServices(),
      runId: info.runId,
      startEvent: request.startEvent,
      state: request.state,
      published: request.published,
      replayedWrites: request.replayedWrites,
      stepContext: stepContextOf,
      ctx: request.ctx,
    });
    attachRun(request.ctx, runner);
    if (journal) {
      // Store writes are journaled as ticks (the store as it is after each), in order; a store
      // seeded before the run is journaled first.
      const store = request.ctx.store;
      const seeded = store.snapshotData();
      if (request.startEvent && Object.keys(seeded).length > 0) runner.storeWritten(seeded);
      store.onWrite((data) => runner.storeWritten(data));
      runner.onEnd(() => store.onWrite(null));
    }
    const handler = new WorkflowHandler(runner, request.ctx);
    this.#runs.set(info.runId, { handler, workflowName: info.workflowName, runner });
    if (request.signal) cancelOnAbort(request.signal, runner);
    this.#admit(workflow, runner);
    return handler;
  }

  /**
   * Stops a run in progress here without ending it ({@link Runner.detach}): it leaves this
   * runtime's table and slots, and goes on wherever its journal is resumed. A runtime releases
   * a run that waits idle, or one whose ownership it has lost.
   * @returns whether there was such a run.
   */
  protected releaseRun(runId: string): boolean {
    const run = this.#runs.get(runId);
    if (!run) return false;
    run.runner.detach();
    this.#runs.delete(runId);
    return true;
  }

  /** The runner of a run in progress here (for runtimes that watch their runs' state). */
  protected runnerOf(runId: string): Runner | undefined {
    return this.#runs.get(runId)?.runner;
  }

  getRun(runId: string): WorkflowHandler | undefined {
    return this.#runs.get(runId)?.handler;
  }

  listRuns(): readonly RunSummary[] {
    return [...this.#runs].map(([runId, run]) => ({
      runId,
      workflowName: run.workflowName,
      status: "running" as const,
    }));
  }

  async recover(workflows: readonly Workflow[]): Promise<readonly WorkflowHandler[]> {
    const byName = new Map(workflows.map((wf) => [wf.workflowName, wf]));
    const handlers: WorkflowHandler[] = [];
    for (const stored of await this.loadUnfinished(byName)) {
      const workflow = byName.get(stored.workflowName);
      if (!workflow || this.#runs.has(stored.runId)) continue;
      handlers.push(this.resumeStored(workflow, stored));
    }
    return handlers;
  }

  /**
   * Rebuilds a run from its journal (every tick replayed through `reduce`) and resumes it in
   * this process: work items whose result was never journaled run again, nothing else does.
   * @throws {@link JournalError} when the journal does not fit the workflow.
   */
  protected resumeStored(workflow: Workflow, stored: StoredRun): WorkflowHandler {
    const rebuilt = rebuildRun(workflowSpec(workflow), stored.entries, baseOf(workflow, stored));
    const ctx = restoredContext(workflow, rebuilt.store, rebuilt.state, stored.runId);
    return this.startLocal({
      workflow,
      runId: stored.runId,
      startEvent: null,
      state: rebuilt.state,
      ctx,
      published: stored.published,
      replayedWrites: rebuilt.writes,
    });
  }

  /** Starts the run when the workflow has a free slot (`numConcurrentRuns`), on a microtask so the caller can subscribe first. */
  #admit(workflow: Workflow, runner: Runner): void {
    if (workflow.numConcurrentRuns === null) {
      this.#startSoon(runner);
      return;
    }
    let slots = this.#slots.get(workflow);
    if (!slots) {
      slots = { running: 0, waiting: [] };
      this.#slots.set(workflow, slots);
    }
    const owned = slots;
    const begin = () => {
      owned.running++;
      runner.onEnd(() => {
        owned.running--;
        owned.waiting.shift()?.();
      });
      this.#startSoon(runner);
    };
    const limit = workflow.numConcurrentRuns;
    if (limit !== null && owned.running >= limit) {
      runner.verbose(`[${workflow.workflowName}] run ${runner.runId} waiting for a free run slot`);
      owned.waiting.push(() => (runner.isEnded ? owned.waiting.shift()?.() : begin()));
    } else {
      begin();
    }
  }
}

/** The step context factory every run shares. */
function stepContextOf(ctx: unknown, runner: Runner, invocation: Invocation): unknown {
  return createStepContext(ctx as Context, runner, invocation);
}

/** The snapshot a stored run was resumed from, read with the workflow's own snapshot reader. */
function baseOf(workflow: Workflow, stored: StoredRun): RebuildBase | null {
  if (stored.base === undefined || stored.base === null) return null;
  const ctx = Context.fromJSON(workflow, stored.base);
  const restored = restoredRun(ctx);
  if (!restored) {
    throw new JournalError(
      "inconsistent",
      `Run \`${stored.runId}\` was journaled from a snapshot of a run that had ended; there is nothing to recover. Abandon it.`,
      { runId: stored.runId },
    );
  }
  return { state: restored.state, store: ctx.store.snapshotData() };
}

/** The runs one signal cancels: one listener per signal, however many runs share it. */
class SignalRuns {
  readonly #runs = new Set<Runner>();
  readonly #signal: AbortSignal;
  readonly #onAbort = () => {
    bySignal.delete(this.#signal);
    for (const run of [...this.#runs]) run.cancel();
  };

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  add(runner: Runner): void {
    this.#runs.add(runner);
    runner.onEnd(() => {
      this.#runs.delete(runner);
      if (this.#runs.size > 0 || bySignal.get(this.#signal) !== this) return;
      bySignal.delete(this.#signal);
      this.#signal.removeEventListener("abort", this.#onAbort);
    });
  }
}

const bySignal = new WeakMap<AbortSignal, SignalRuns>();

function cancelOnAbort(signal: AbortSignal, runner: Runner): void {
  if (signal.aborted) {
    queueMicrotask(() => runner.cancel());
    return;
  }
  let group = bySignal.get(signal);
  if (!group) {
    group = new SignalRuns(signal);
    bySignal.set(signal, group);
  }
  group.add(runner);
}
