/**
 * `DbosRuntime`: stepwise runs as DBOS workflows on Postgres. A run is executed in segments:
 * each segment is one DBOS workflow (`stepwise.run`, registered once per process) whose body
 * rebuilds the run from its journal and drives it in this process, journaling every batch of
 * the loop before its effects are seen. A run that waits for an event with nothing to do ends
 * its segment (it then holds no worker and no memory); the event starts the next one, on
 * whichever worker takes it. A worker that dies leaves its runs to the others: its executor
 * lock (a Postgres session lock) goes with its connection, and a live worker moves each of its
 * runs to a new segment. Every write of a segment carries its epoch, so a segment that has
 * been superseded cannot write again.
 */
import { randomUUID } from "node:crypto";
import { DBOS } from "@dbos-inc/dbos-sdk";
import {
  Context,
  type Event,
  JournalError,
  RunAdmissionError,
  type RunTrace,
  type Workflow,
  WorkflowFailedEvent,
  WorkflowHandler,
  WorkflowRuntimeError,
} from "@stepwise/core";
import {
  decodeEvent,
  encodeEvent,
  encodeForRun,
  encodePublished,
  encodeTick,
  type HandlerRow,
  type JournalBatch,
  LocalRuntime,
  type LocalRuntimeOptions,
  type RunInfo,
  type RunJournal,
  type RunSummary,
  type StartRunRequest,
  type StoredRun,
  workflowSpec,
} from "@stepwise/core/runtime";
import pg from "pg";
import { connectionError, DbosRuntimeError } from "./errors.js";
import { PgHandlerStore } from "./handler-store.js";
import { EXECUTOR_LOCK_CLASS, Notifier } from "./notifier.js";
import { RemoteRun, type RemoteRunHost } from "./remote-run.js";
import { ensureSchema } from "./schema.js";
import { type RunRow, RunStore } from "./store.js";

/** Options of {@link DbosRuntime}. */
export interface DbosRuntimeOptions extends LocalRuntimeOptions {
  /** The Postgres database of DBOS's system tables and stepwise's (`postgres://…`). */
  databaseUrl: string;
  /**
   * This process's name among the workers: distinct per process, and the same again when the
   * process restarts (it then resumes its runs at once). @default `DBOS__VMID` or "local"
   */
  executorId?: string;
  /** DBOS's application name: workers of one application share runs. @default "stepwise" */
  applicationName?: string;
  /**
   * Whether this process executes runs. A process that only starts runs, sends events and
   * reads results (a web server in front of the workers, a script) passes false. @default true
   */
  worker?: boolean;
  /**
   * How long a run may wait idle (nothing running, waiting for an event or a timer) before it
   * is released: it then holds no worker slot and no memory until an event or its timer comes.
   * @default 5000 ms
   */
  idleTimeoutMs?: number;
  /** How often a worker looks for runs to take over (dead workers, due timers), in ms. @default 1000 */
  sweepMs?: number;
  /** How often a worker polls its workflows' DBOS queues, in ms. @default 200 */
  pollMs?: number;
  /**
   * Runs of a workflow in progress at once over all workers, by workflow name (the workflow's
   * own `numConcurrentRuns` limits each worker).
   */
  globalConcurrentRuns?: Readonly<Record<string, number>>;
  /** DBOS's log level. @default "warn" */
  logLevel?: "debug" | "info" | "warn" | "error";
}

const OPTION_NAMES = new Set([
  "databaseUrl",
  "executorId",
  "applicationName",
  "worker",
  "idleTimeoutMs",
  "sweepMs",
  "pollMs",
  "globalConcurrentRuns",
  "logLevel",
  "clock",
  "observers",
]);

/** The DBOS workflow id of a run's segment. */
export function segmentId(runId: string, segment: number): string {
  return segment === 0 ? runId : `${runId}~${segment}`;
}

/** The DBOS queue of a workflow's runs. */
export function queueName(workflowName: string): string {
  return `stepwise.${workflowName}`;
}

/** One execution of a segment of a run in this process. */
interface Execution {
  readonly runId: string;
  readonly workflowName: string;
  readonly segment: number;
  readonly epoch: number;
  readonly runtime: DbosRuntime;
  /** The number of the next tick to journal. */
  ticks: number;
  /** The last inbox message handed to the run, and the last one journaled. */
  taken: bigint;
  journaled: bigint;
  /** Journal writes in flight. */
  busy: number;
  handler: WorkflowHandler | null;
  idleSince: number | null;
  stopInbox: (() => void) | null;
  pumping: boolean;
  pumpAgain: boolean;
  finish: (status: string) => void;
  readonly done: Promise<string>;
  finished: boolean;
}

/** What the first `DbosRuntime` of a process sets for all of them. */
type EngineOptions = Required<
  Pick<DbosRuntimeOptions, "applicationName" | "sweepMs" | "pollMs" | "logLevel">
> &
  Pick<DbosRuntimeOptions, "globalConcurrentRuns">;

/** One process's link to DBOS and the database, shared by its `DbosRuntime`s. */
class Engine {
  readonly url: string;
  readonly executorId: string;
  readonly instance = randomUUID();
  readonly pool: pg.Pool;
  readonly store: RunStore;
  notifier: Notifier | null = null;
  /** Workflows this process serves, by name (the latest registration wins). */
  readonly registry = new Map<string, { runtime: DbosRuntime; workflow: Workflow }>();
  /** Runs started in this process, by id: their body uses the very workflow object. */
  readonly localStarts = new Map<
    string,
    { runtime: DbosRuntime; workflow: Workflow; row?: RunRow }
  >();
  /**
   * Handlers of runs that ended here, for a handler of this process to take its result from,
   * with the segment they ended in: a run id used again starts a later segment, so an entry
   * nobody took (the run's handler was in another process, or read the end from the database
   * first) is never taken for the new run's.
   */
  readonly endedHere = new Map<
    string,
    { readonly segment: number; readonly handler: WorkflowHandler }
  >();
  readonly executions = new Map<string, Execution>();
  readonly runtimes = new Set<DbosRuntime>();
  /** Segment bodies in progress in this process. */
  readonly bodies = new Set<Promise<string>>();
  readonly worker: boolean;
  readonly options: EngineOptions;
  launched: Promise<void> | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  #sweeping = false;
  #sweeps = 0;
  closed = false;

  constructor(url: string, executorId: string, worker: boolean, options: EngineOptions) {
    this.url = url;
    this.executorId = executorId;
    this.worker = worker;
    this.options = options;
    // Small pools (8 here, 6 for DBOS): a database serves many workers.
    this.pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 30_000 });
    this.pool.on("error", () => {});
    this.store = new RunStore(this.pool);
  }

  launch(): Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new DbosRuntimeError(
          "shutDown",
          "This DBOS runtime was shut down (or its launch failed); make a new DbosRuntime.",
        ),
      );
    }
    this.launched ??= this.#launch().catch(async (error: unknown) => {
      // Nothing stays of a launch that failed: a runtime made next starts afresh.
      this.launched = null;
      await this.close();
      throw error;
    });
    return this.launched;
  }

  async #launch(): Promise<void> {
    try {
      await this.pool.query("SELECT 1");
    } catch (error) {
      throw connectionError(error, this.url);
    }
    await ensureSchema(this.pool);
    const notifier = await Notifier.connect(this.url);
    if (!(await notifier.lockExecutor(this.executorId))) {
      await notifier.close();
      throw new DbosRuntimeError(
        "executorInUse",
        `Another live process is worker \`${this.executorId}\` on this database; give each worker process its own \`executorId\`.`,
      );
    }
    this.notifier = notifier;
    const served = this.worker ? [...this.registry.keys()] : [];
    DBOS.setConfig({
      name: this.options.applicationName,
      systemDatabaseUrl: this.url,
      executorID: this.executorId,
      systemDatabasePoolSize: 6,
      logLevel: this.options.logLevel,
      listenQueues: served.map(queueName),
    });
    entry ??= DBOS.registerWorkflow(runSegment, { name: "stepwise.run" });
    // DBOS migrates its tables at launch; two processes migrating one database at once fail.
    // The lock is polled, not waited for: a waiting statement would hold up the migration's
    // CREATE INDEX CONCURRENTLY in the process that has it.
    const lock = await this.pool.connect();
    try {
      for (;;) {
        const got = await lock.query<{ ok: boolean }>(
          "SELECT pg_try_advisory_lock(hashtext('stepwise.launch')) AS ok",
        );
        if (got.rows[0]?.ok) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await DBOS.launch();
    } finally {
      await lock.query("SELECT pg_advisory_unlock(hashtext('stepwise.launch'))").catch(() => {});
      lock.release();
    }
    for (const name of served) await this.registerQueue(name);
    if (this.worker) {
      await this.pool.query(
        `INSERT INTO stepwise.workers (executor, instance, workflows, heartbeat_at, started_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (executor) DO UPDATE SET instance = $2, workflows = $3, heartbeat_at = $4, started_at = $4`,
        [this.executorId, this.instance, JSON.stringify(served), Date.now()],
      );
      this.#sweeper = setInterval(() => void this.sweep(), this.options.sweepMs);
      this.#sweeper.unref();
    }
  }

  async registerQueue(name: string): Promise<void> {
    const entryOf = this.registry.get(name);
    const perWorker = entryOf?.workflow.numConcurrentRuns ?? null;
    const global = this.options.globalConcurrentRuns?.[name];
    await DBOS.registerQueue(queueName(name), {
      ...(perWorker !== null ? { workerConcurrency: perWorker } : {}),
      ...(global !== undefined ? { globalConcurrency: global } : {}),
      minPollingIntervalMs: this.options.pollMs,
      onConflict: "always_update",
    });
  }

  /** Whether runs of `name` may start here directly (served here, no limit a queue enforces). */
  runsHere(name: string): boolean {
    const served = this.registry.get(name);
    return (
      this.worker &&
      served !== undefined &&
      served.workflow.numConcurrentRuns === null &&
      this.options.globalConcurrentRuns?.[name] === undefined
    );
  }

  /** Starts a segment of a run: here at once when it may run here, else on its workflow's queue. */
  async startSegment(runId: string, workflowName: string, segment: number): Promise<void> {
    if (!this.runsHere(workflowName)) return this.#enqueue(runId, workflowName, segment);
    await DBOS.startWorkflow(entryPoint(), { workflowID: segmentId(runId, segment) })(
      runId,
      segment,
    );
  }

  /** Puts a segment on its workflow's queue, for whichever worker serving it has room. */
  async #enqueue(runId: string, workflowName: string, segment: number): Promise<void> {
    await DBOS.startWorkflow(entryPoint(), {
      workflowID: segmentId(runId, segment),
      queueName: queueName(workflowName),
    })(runId, segment);
  }

  /** Moves a run this process stops running to a new segment, on its workflow's queue. */
  async handOver(runId: string, workflowName: string, segment: number): Promise<void> {
    const next = await this.store.advance(runId, segment, ["running"]);
    if (next !== null) await this.#enqueue(runId, workflowName, next);
  }

  /**
   * Whether some worker has served `workflowName` on this database (this process included).
   * One that is down for now is as good: the run waits in the queue until a worker is back.
   */
  async served(workflowName: string): Promise<boolean> {
    if (this.worker && this.registry.has(workflowName)) return true;
    const found = await this.pool.query(
      "SELECT 1 FROM stepwise.workers WHERE workflows::jsonb ? $1 LIMIT 1",
      [workflowName],
    );
    return (found.rowCount ?? 0) > 0;
  }

  /**
   * One look for runs that need a worker: runs of dead workers, runs this process dropped,
   * waiting runs whose timer is due or whose inbox has a message nobody took; every fifth
   * look, queued runs whose segment is lost (never started, or held by a dead worker).
   */
  async sweep(): Promise<void> {
    if (this.#sweeping || this.closed) return;
    this.#sweeping = true;
    try {
      const now = Date.now();
      await this.pool.query(
        "UPDATE stepwise.workers SET heartbeat_at = $3 WHERE executor = $1 AND instance = $2",
        [this.executorId, this.instance, now],
      );
      const names = [...this.registry.keys()];
      const stale = now - 5 * this.options.sweepMs;
      const found = await this.pool.query<SweptRun>(
        `SELECT r.run_id, r.workflow, r.segment, r.status FROM stepwise.runs r
          WHERE r.ended_at IS NULL AND r.workflow = ANY($1::text[]) AND (
            (r.status = 'running' AND r.executor <> $2 AND NOT ${LOCK_HELD("r.executor")})
            OR (r.status = 'running' AND r.executor = $2 AND r.updated_at < $5)
            OR (r.status = 'waiting' AND r.wake_at IS NOT NULL AND r.wake_at <= $4)
            OR (r.status = 'waiting' AND EXISTS (SELECT 1 FROM stepwise.inbox i WHERE i.run_id = r.run_id AND i.id > r.consumed)))
          LIMIT 500`,
        [names, this.executorId, EXECUTOR_LOCK_CLASS, now, stale],
      );
      await Promise.all(
        found.rows
          .filter((run) => !this.executions.has(run.run_id))
          .map((run) => this.#moveOn(run)),
      );
      if (++this.#sweeps % 5 === 0) await this.#sweepQueued(names, stale);
    } catch (error) {
      if (!this.closed) {
        console.warn(
          `stepwise: a sweep of worker ${this.executorId} failed: ${(error as Error).message}`,
        );
      }
    } finally {
      this.#sweeping = false;
    }
  }

  /** Moves a run to a new segment and starts it; cancels the segment it leaves. */
  async #moveOn(run: SweptRun): Promise<void> {
    const segment = await this.store.advance(run.run_id, run.segment, [run.status]);
    if (segment === null) return;
    await this.startSegment(run.run_id, run.workflow, segment);
    if (run.status !== "waiting") {
      DBOS.cancelWorkflow(segmentId(run.run_id, run.segment)).catch(() => {});
    }
  }

  /**
   * Queued runs whose segment no live worker will run: never started (a crash between the
   * row and the DBOS workflow), held by a worker that died before it claimed the run, or over.
   */
  async #sweepQueued(names: readonly string[], stale: number): Promise<void> {
    const queued = await this.pool.query<SweptRun>(
      `SELECT run_id, workflow, segment, status FROM stepwise.runs
        WHERE ended_at IS NULL AND status = 'queued' AND workflow = ANY($1::text[]) AND updated_at < $2
        LIMIT 500`,
      [names, stale],
    );
    if (queued.rows.length === 0) return;
    const ids = queued.rows.map((run) => segmentId(run.run_id, run.segment));
    const statuses = new Map(
      (await DBOS.listWorkflows({ workflowIDs: ids, loadInput: false, loadOutput: false })).map(
        (status) => [status.workflowID, status],
      ),
    );
    const executors = [...new Set([...statuses.values()].map((status) => status.executorId ?? ""))];
    const live = await this.pool.query<{ executor: string }>(
      `SELECT e AS executor FROM unnest($1::text[]) AS e WHERE ${LOCK_HELD("e", "$2")}`,
      [executors, EXECUTOR_LOCK_CLASS],
    );
    const alive = new Set(live.rows.map((row) => row.executor));
    await Promise.all(
      queued.rows.map(async (run) => {
        const status = statuses.get(segmentId(run.run_id, run.segment));
        if (!status) return this.startSegment(run.run_id, run.workflow, run.segment);
        if (status.status === "ENQUEUED") return;
        if (status.status === "PENDING" && alive.has(status.executorId ?? "")) return;
        return this.#moveOn(run);
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    if (this.launched !== null) {
      await this.launched.catch(() => {});
      // Segments that have returned are recorded by DBOS before it stops.
      const returning = Promise.allSettled([...this.bodies]);
      await Promise.race([returning, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    }
    if (DBOS.isInitialized()) await DBOS.shutdown();
    await this.notifier?.close();
    await this.pool.end().catch(() => {});
    if (engine === this) engine = null;
  }

  /** Runs one segment of a run in this process: the body of the `stepwise.run` DBOS workflow. */
  async execute(runId: string, segment: number): Promise<string> {
    const local = this.localStarts.get(runId);
    // A run started here at once was created claimed (epoch 1 of its segment).
    const claimed = local?.row && local.row.segment === segment ? local.row : null;
    if (local) local.row = undefined;
    const row = claimed ?? (await this.store.claim(runId, segment, this.executorId));
    if (!row) return "superseded";
    const target = local ?? this.registry.get(row.workflow);
    if (!target || target.runtime.isClosed) {
      // Not served here (any more): back to its queue, for a worker that serves it.
      await this.handOver(runId, row.workflow, segment);
      return "handedBack";
    }
    return target.runtime.executeSegment(target.workflow, row);
  }
}

/** A run the sweep found. */
interface SweptRun {
  readonly run_id: string;
  readonly workflow: string;
  readonly segment: number;
  readonly status: string;
}

/** SQL: whether the executor named by `column` holds its executor lock (its process lives). */
const LOCK_HELD = (column: string, lockClass = "$3") => `EXISTS (
  SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${lockClass} AND l.objsubid = 2
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND l.objid::bigint = (hashtext(${column})::bigint + 4294967296) % 4294967296)`;

let engine: Engine | null = null;
let entry: ((runId: string, segment: number) => Promise<string>) | null = null;

/** The registered `stepwise.run` workflow (registered at the first launch). */
function entryPoint(): (runId: string, segment: number) => Promise<string> {
  return entry as (runId: string, segment: number) => Promise<string>;
}

/** The body of the one DBOS workflow: a segment of a stepwise run. */
async function runSegment(runId: string, segment: number): Promise<string> {
  if (!engine || engine.closed)
    throw new DbosRuntimeError("shutDown", "The DBOS runtime of this process is shut down.");
  const body = engine.execute(runId, segment);
  const bodies = engine.bodies;
  bodies.add(body);
  try {
    return await body;
  } finally {
    bodies.delete(body);
  }
}

/**
 * Durable runs on Postgres through DBOS, over any number of worker processes.
 * @example
 * const runtime = new DbosRuntime({ databaseUrl: "postgres://localhost:5432/app", executorId: "worker-1" });
 * const wf = new MyFlow({ runtime });
 * await runtime.launch([wf]); // serve its runs; resumes those a crash interrupted
 * const result = await wf.run({ topic: "pirates" });
 */
export class DbosRuntime extends LocalRuntime {
  override readonly name: string = "dbos";
  readonly #engine: Engine;
  readonly #idleTimeoutMs: number;
  readonly #handlers = new Map<string, { handler: WorkflowHandler; workflowName: string }>();
  readonly #host: RemoteRunHost;
  /** Runs started here that are not on the database yet: what is sent into them waits. */
  readonly #admissions = new Map<string, Promise<void>>();
  #closed = false;
  #idleTimer: NodeJS.Timeout | null = null;

  constructor(options: DbosRuntimeOptions) {
    super(checkOptions(options));
    const executorId = options.executorId ?? process.env.DBOS__VMID ?? "local";
    const current = engine && !engine.closed ? engine : null;
    if (current && (current.url !== options.databaseUrl || current.executorId !== executorId)) {
      throw new DbosRuntimeError(
        "invalidOptions",
        `This process already runs DBOS as worker \`${current.executorId}\` on another database or executor id; one process is one DBOS executor. Use the same \`databaseUrl\` and \`executorId\`, or another process.`,
      );
    }
    this.#engine =
      current ??
      new Engine(options.databaseUrl, executorId, options.worker ?? true, {
        applicationName: options.applicationName ?? "stepwise",
        sweepMs: options.sweepMs ?? 1000,
        pollMs: options.pollMs ?? 200,
        logLevel: options.logLevel ?? "warn",
        globalConcurrentRuns: options.globalConcurrentRuns,
      });
    engine = this.#engine;
    this.#host = this.#remoteHost();
    this.#engine.runtimes.add(this);
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 5000;
  }

  /** This process's executor id. */
  get executorId(): string {
    return this.#engine.executorId;
  }

  /** @internal */
  get isClosed(): boolean {
    return this.#closed;
  }

  protected override get keepsEvents(): boolean {
    return true;
  }

  /**
   * Serves `workflows` (their runs, from any process, run here too) and connects: checks the
   * database, creates the tables when missing, takes this process's executor id, launches DBOS
   * (which resumes the runs this executor had in progress). Idempotent; the first `run()`
   * launches too. Register every workflow this worker serves before the launch: DBOS listens
   * to the queues it knows at launch.
   * @throws {@link DbosRuntimeError} `unreachable`, `connectionRefused`, `executorInUse`.
   */
  async launch(workflows: readonly Workflow[] = []): Promise<void> {
    this.#checkOpen();
    for (const workflow of workflows) this.register(workflow);
    await this.#engine.launch();
  }

  /** Adds a workflow to those this process serves, by its name. */
  register(workflow: Workflow): void {
    this.#checkOpen();
    const name = workflowSpec(workflow).name;
    const known = this.#engine.registry.has(name);
    this.#engine.registry.set(name, { runtime: this, workflow });
    if (!known && this.#engine.launched && this.#engine.worker) {
      this.#engine.launched.then(() => this.#engine.registerQueue(name)).catch(() => {});
    }
  }

  override startRun(request: StartRunRequest): WorkflowHandler {
    this.#checkOpen();
    const spec = workflowSpec(request.workflow);
    const runId = request.runId;
    if (this.#handlers.has(runId) || this.#engine.executions.has(runId)) {
      throw new RunAdmissionError("duplicateRunId", runId, this.name);
    }
    if (!this.#engine.registry.has(spec.name)) this.register(request.workflow);
    // Encoded now, so a start event or snapshot that cannot be stored fails `run()` itself.
    const start = request.startEvent ? JSON.stringify(encodeEvent(request.startEvent)) : null;
    const base = request.startEvent ? null : JSON.stringify(request.ctx.toJSON());
    this.#engine.localStarts.set(runId, { runtime: this, workflow: request.workflow });
    const steps = JSON.stringify(Object.keys(spec.config.steps).sort());
    const admitted = this.#admit(spec.name, runId, steps, start, base);
    this.#admissions.set(runId, admitted);
    admitted.catch(() => {});
    const handler = this.#handlerFor(spec, runId, admitted);
    if (request.signal) {
      const signal = request.signal;
      const abort = () => handler.cancel().catch(() => {});
      if (signal.aborted) queueMicrotask(abort);
      else signal.addEventListener("abort", abort, { once: true });
    }
    return handler;
  }

  async #admit(
    workflow: string,
    runId: string,
    steps: string,
    start: string | null,
    base: string | null,
  ) {
    try {
      await this.#engine.launch();
      const here = this.#engine.runsHere(workflow);
      if (!here && !(await this.#engine.served(workflow))) {
        throw new DbosRuntimeError(
          "noWorker",
          `No worker serves workflow \`${workflow}\` on this database: start one with \`runtime.launch([workflow])\` (a DbosRuntime with \`worker: true\`) first.`,
        );
      }
      const created = await this.#engine.store.createRun({
        runId,
        workflow,
        steps,
        start,
        base,
        executor: here ? this.#engine.executorId : null,
      });
      if ("taken" in created) {
        const taken = created.taken;
        throw taken.workflow !== workflow
          ? new DbosRuntimeError(
              "runIdTaken",
              `Run id \`${runId}\` is taken by a run of workflow \`${taken.workflow}\`; give this run another id.`,
              { runId },
            )
          : new RunAdmissionError("duplicateRunId", runId, this.name);
      }
      const local = this.#engine.localStarts.get(runId);
      if (local && here) local.row = created.created;
      await this.#engine.startSegment(runId, workflow, created.created.segment);
    } catch (error) {
      this.#engine.localStarts.delete(runId);
      this.#handlers.delete(runId);
      throw error;
    } finally {
      this.#admissions.delete(runId);
    }
  }

  #handlerFor(
    spec: ReturnType<typeof workflowSpec>,
    runId: string,
    admitted: Promise<void>,
  ): WorkflowHandler {
    const remote = new RemoteRun(spec, runId, this.#host, admitted);
    const handler = new WorkflowHandler(remote, () => this.#contextOf(runId));
    this.#handlers.set(runId, { handler, workflowName: spec.name });
    remote.result.then(
      () => this.#forget(runId),
      () => this.#forget(runId),
    );
    return handler;
  }

  #forget(runId: string): void {
    this.#handlers.delete(runId);
    this.#engine.localStarts.delete(runId);
  }

  /** What this runtime's remote runs reach it through. */
  #remoteHost(): RemoteRunHost {
    return {
      store: this.#engine.store,
      notifier: async () => {
        await this.#engine.launch();
        return this.#engine.notifier as Notifier;
      },
      deliver: (runId, kind, event, step) => {
        const encoded = event ? JSON.stringify(encodeEvent(event)) : null;
        this.#deliver(runId, { key: randomUUID(), kind, step, event: encoded }).catch((error) => {
          if (kind === "cancel" && (error as DbosRuntimeError).code === "runEnded") return;
          console.warn(`stepwise: sending into run ${runId} failed: ${(error as Error).message}`);
        });
      },
      localTrace: (runId) => this.#localTrace(runId),
      endedHere: (runId, segment) => {
        const ended = this.#engine.endedHere.get(runId);
        this.#engine.endedHere.delete(runId);
        if (ended?.segment === segment) return ended.handler;
        // A run whose end is written but whose execution here has not settled yet.
        const execution = this.#engine.executions.get(runId);
        return execution?.segment === segment ? execution.handler : null;
      },
    };
  }

  #localTrace(runId: string): RunTrace | null {
    const execution = this.#engine.executions.get(runId);
    return execution?.handler ? execution.handler.trace() : null;
  }

  #contextOf(runId: string): Context {
    const execution = this.#engine.executions.get(runId);
    if (execution?.handler) return execution.handler.ctx;
    throw new DbosRuntimeError(
      "remoteRun",
      `The context of run \`${runId}\` lives in the worker process that runs it, not in this one (or the run is waiting in no process). Read its events with \`handler.subscribe()\`, send with \`handler.sendEvent()\`.`,
      { runId },
    );
  }

  async #deliver(
    runId: string,
    message: { key: string; kind: "event" | "cancel"; step: string | null; event: string | null },
  ): Promise<void> {
    await this.#engine.launch();
    await this.#admissions.get(runId);
    const delivered = await this.#engine.store.deliver(runId, message);
    if (delivered.start) {
      await this.#engine.startSegment(runId, delivered.start.workflow, delivered.start.segment);
    }
  }

  /**
   * Sends an event into a run from any process that reaches the database, once per `key`
   * (sending again with the same key delivers nothing more). Resolves once it is stored.
   * @throws {@link DbosRuntimeError} `unknownRun`, `runEnded`.
   */
  async sendEvent(
    runId: string,
    event: Event,
    options: { step?: string; key?: string } = {},
  ): Promise<void> {
    this.#checkOpen();
    const encoded = JSON.stringify(encodeEvent(event));
    await this.#deliver(runId, {
      key: options.key ?? randomUUID(),
      kind: "event",
      step: options.step ?? null,
      event: encoded,
    });
  }

  /** Cancels a run from any process. @throws {@link DbosRuntimeError} `unknownRun`, `runEnded`. */
  async cancelRun(runId: string): Promise<void> {
    this.#checkOpen();
    await this.#deliver(runId, {
      key: `cancel:${randomUUID()}`,
      kind: "cancel",
      step: null,
      event: null,
    });
  }

  /**
   * A handler for a run on the database, started by any process: its result, its events from
   * any sequence number, sending and cancelling.
   * The handler rejects with {@link DbosRuntimeError} `unknownRun`, or `runIdTaken` when the
   * run is another workflow's.
   */
  attach(runId: string, workflow: Workflow): WorkflowHandler {
    this.#checkOpen();
    const existing = this.#handlers.get(runId);
    if (existing) return existing.handler;
    const spec = workflowSpec(workflow);
    const found = (async () => {
      await this.#engine.launch();
      const row = await this.#engine.store.getRun(runId);
      if (!row) {
        throw new DbosRuntimeError("unknownRun", `There is no run \`${runId}\` on this database.`, {
          runId,
        });
      }
      if (row.workflow !== spec.name) {
        throw new DbosRuntimeError(
          "runIdTaken",
          `Run \`${runId}\` is a run of workflow \`${row.workflow}\`, not of \`${spec.name}\`.`,
          { runId },
        );
      }
    })();
    return this.#handlerFor(spec, runId, found);
  }

  /**
   * A store for a workflow server's handler records on this database (`@stepwise/server`'s
   * `HandlerStore`): `createServer({ workflows, runtime, store: runtime.handlerStore() })`.
   * Every server process on the database lists the same handlers and serves their streams.
   */
  handlerStore<R extends HandlerRow = HandlerRow>(): PgHandlerStore<R> {
    this.#checkOpen();
    return new PgHandlerStore<R>(async () => {
      await this.#engine.launch();
      return this.#engine.store;
    });
  }

  /** Where a run is, from any process: `queued`, `running`, `waiting`, or how it ended. */
  async status(runId: string): Promise<RunRow["status"] | null> {
    await this.#engine.launch();
    return (await this.#engine.store.getRun(runId))?.status ?? null;
  }

  override getRun(runId: string): WorkflowHandler | undefined {
    return this.#handlers.get(runId)?.handler;
  }

  override listRuns(): readonly RunSummary[] {
    return [...this.#handlers.entries()]
      .filter(([, run]) => !run.handler.isDone())
      .map(([runId, run]) => ({
        runId,
        workflowName: run.workflowName,
        status: "running" as const,
      }));
  }

  /**
   * Serves `workflows` (launching if needed) and resumes the unfinished runs of this executor
   * that are in progress nowhere (a crashed runtime of this process, or a worker process that
   * restarted): each goes on in a new segment. Returns their handlers.
   */
  override async recover(workflows: readonly Workflow[]): Promise<readonly WorkflowHandler[]> {
    await this.launch(workflows);
    const names = workflows.map((wf) => workflowSpec(wf).name);
    const found = await this.#engine.pool.query<{
      run_id: string;
      workflow: string;
      segment: number;
      status: string;
    }>(
      `SELECT run_id, workflow, segment, status FROM stepwise.runs
        WHERE ended_at IS NULL AND workflow = ANY($1::text[]) AND (executor = $2 OR (status = 'waiting' AND executor IS NULL))
        ORDER BY created_at`,
      [names, this.executorId],
    );
    const handlers: WorkflowHandler[] = [];
    for (const run of found.rows) {
      const workflow = workflows.find((wf) => workflowSpec(wf).name === run.workflow) as Workflow;
      if (run.status === "running" && !this.#engine.executions.has(run.run_id)) {
        const status = await DBOS.getWorkflowStatus(segmentId(run.run_id, run.segment));
        // DBOS resumes a segment whose process died (it is pending or queued again); a segment
        // that returned without ending the run (a crashed runtime) goes on in a new one.
        if (!status || (status.status !== "PENDING" && status.status !== "ENQUEUED")) {
          const segment = await this.#engine.store.advance(run.run_id, run.segment, ["running"]);
          if (segment !== null) await this.#engine.startSegment(run.run_id, run.workflow, segment);
        }
      }
      handlers.push(this.attach(run.run_id, workflow));
    }
    return handlers;
  }

  /**
   * For a server's idle release: a run executing here that waits idle ends its segment now
   * (its timers are the runtime's to keep: a worker's sweep wakes it when one is due).
   * @returns null when the run is not executing here or not idle.
   */
  releaseIdleRun(runId: string): { readonly wakeAt: number | null } | null {
    const execution = this.#engine.executions.get(runId);
    if (!execution || execution.runtime !== this) return null;
    return this.#checkIdle(execution, true) ? { wakeAt: null } : null;
  }

  /** For a server: a handler for an unfinished run on the database, wherever it executes. */
  async resumeRun(
    workflow: Workflow,
    runId: string,
  ): Promise<{ readonly handler: WorkflowHandler } | null> {
    await this.#engine.launch();
    const row = await this.#engine.store.getRun(runId);
    if (!row || row.ended_at !== null || row.workflow !== workflowSpec(workflow).name) return null;
    return { handler: this.attach(runId, workflow) };
  }

  // --- executing a segment here -----------------------------------------------------------

  /** @internal Runs one segment of `row`'s run in this process, until it ends, waits idle or is lost. */
  async executeSegment(workflow: Workflow, row: RunRow): Promise<string> {
    const engine = this.#engine;
    const spec = workflowSpec(workflow);
    let finish!: (status: string) => void;
    const done = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const execution: Execution = {
      runId: row.run_id,
      workflowName: row.workflow,
      segment: row.segment,
      epoch: row.epoch,
      runtime: this,
      ticks: row.ticks,
      taken: BigInt(row.consumed),
      journaled: BigInt(row.consumed),
      busy: 0,
      handler: null,
      idleSince: null,
      stopInbox: null,
      pumping: false,
      pumpAgain: false,
      finished: false,
      done,
      finish: (status) => {
        if (execution.finished) return;
        execution.finished = true;
        execution.stopInbox?.();
        if (engine.executions.get(row.run_id) === execution) engine.executions.delete(row.run_id);
        finish(status);
      },
    };
    engine.executions.set(row.run_id, execution);
    try {
      const stored =
        row.ticks > 0 || row.events > 0 ? await engine.store.readJournal(row, spec) : null;
      if (stored && stored.entries.length > 0) {
        const run: StoredRun = {
          runId: row.run_id,
          workflowName: row.workflow,
          entries: stored.entries,
          published: stored.published,
          ...(row.base !== null ? { base: JSON.parse(row.base) } : {}),
        };
        execution.handler = this.resumeStored(workflow, run);
      } else if (row.start !== null) {
        const startEvent = decodeEvent(JSON.parse(row.start), spec.registry);
        execution.handler = workflow.run(startEvent as never, {
          runId: row.run_id,
          runtime: this.#here,
        });
      } else {
        const base = JSON.parse(row.base ?? "null");
        execution.handler = workflow.run(undefined, {
          ctx: Context.fromJSON(workflow, base),
          runId: row.run_id,
          runtime: this.#here,
        });
      }
    } catch (error) {
      execution.finish("failed");
      throw error;
    }
    const handler = execution.handler as WorkflowHandler;
    const ended = () => {
      if (execution.finished) return;
      // A handler of this process takes the result from here: the very value or error.
      const entry = { segment: row.segment, handler };
      engine.endedHere.set(row.run_id, entry);
      setTimeout(() => {
        if (engine.endedHere.get(row.run_id) === entry) engine.endedHere.delete(row.run_id);
      }, 30_000).unref();
      execution.finish("ended");
    };
    handler.then(ended, ended);
    execution.stopInbox = (engine.notifier as Notifier).onInbox(row.run_id, () =>
      this.#pump(execution),
    );
    this.#pump(execution);
    this.#watchIdle();
    return done;
  }

  /** Starts runs of segments here (what `LocalRuntime.startRun` does), for `workflow.run()`. */
  readonly #here = {
    name: "dbos (segment)",
    startRun: (request: StartRunRequest) => this.startLocal(request),
    getRun: () => undefined,
    listRuns: () => [],
    recover: async () => [],
  };

  protected override openJournal(info: RunInfo, _request: StartRunRequest): RunJournal {
    const execution = this.#engine.executions.get(info.runId);
    if (!execution) {
      throw new WorkflowRuntimeError("runtimeClosed", {
        runtime: `${this.name} (no segment for ${info.runId})`,
      });
    }
    return { append: (batch) => this.#append(execution, batch) };
  }

  #append(execution: Execution, batch: JournalBatch): Promise<void> {
    const runId = execution.runId;
    let ticks: { at: number; json: string }[];
    let events: { seq: number; internal: boolean; json: string }[];
    try {
      ticks = batch.entries.map((entry, i) => ({
        at: entry.at,
        json: JSON.stringify(
          encodeForRun(() => encodeTick(entry.tick), runId, execution.ticks + i),
        ),
      }));
      events = batch.published.map((entry) => ({
        seq: entry.seq,
        internal: entry.internal,
        json: JSON.stringify(encodeForRun(() => encodePublished(entry), runId, undefined)),
      }));
    } catch (error) {
      if (!(error instanceof JournalError)) throw error;
      return this.#failUnstorable(execution, batch, error);
    }
    const consumed = execution.taken;
    const lastSeq = events.length > 0 ? (events[events.length - 1]?.seq ?? -1) : -1;
    execution.busy++;
    return this.#engine.store
      .append(runId, execution.epoch, {
        firstTick: execution.ticks,
        ticks,
        events,
        status: batch.ended ?? "running",
        lastSeq,
        consumed,
      })
      .then(
        (ok) => {
          execution.busy--;
          if (!ok) {
            // Another segment holds the run now: this one stops here, writing nothing more.
            this.#lose(execution, "superseded");
            return new Promise<void>(() => {});
          }
          execution.ticks += ticks.length;
          execution.journaled = consumed;
        },
        (error: unknown) => {
          execution.busy--;
          // The database is away: the run stops here and goes on in another segment (the
          // sweeper of a live worker moves it once this segment's writes have stopped).
          this.#lose(execution, "databaseLost");
          console.warn(
            `stepwise: journaling run ${runId} failed (${(error as Error).message}); it stops in this process and resumes from its journal.`,
          );
          return new Promise<void>(() => {});
        },
      );
  }

  /**
   * A batch that cannot be stored (a value no codec carries): none of it is written; the run
   * fails on the database with the error, and stops here (its result here is not durable).
   */
  #failUnstorable(execution: Execution, batch: JournalBatch, error: JournalError): Promise<void> {
    const runId = execution.runId;
    const seq = batch.published[0]?.seq ?? (this.runnerOf(runId)?.lastSeq ?? -1) + 1;
    this.#lose(execution, "failed");
    const event = new WorkflowFailedEvent({
      stepName: "(journal)",
      error,
      attempts: 1,
      elapsedSeconds: 0,
    });
    const json = JSON.stringify(encodePublished({ seq, event, internal: false }));
    this.#engine.store
      .append(runId, execution.epoch, {
        firstTick: execution.ticks,
        ticks: [],
        events: [{ seq, internal: false, json }],
        status: "failed",
        lastSeq: seq,
        consumed: execution.journaled,
      })
      .catch((written: unknown) => {
        console.warn(`stepwise: failing run ${runId} failed: ${(written as Error).message}`);
      });
    return new Promise<void>(() => {});
  }

  #lose(execution: Execution, status: string): void {
    if (execution.finished) return;
    this.releaseRun(execution.runId);
    execution.finish(status);
  }

  /** Hands the run the messages of its inbox it has not taken, in order. */
  #pump(execution: Execution): void {
    if (execution.finished) return;
    if (execution.pumping) {
      execution.pumpAgain = true;
      return;
    }
    execution.pumping = true;
    execution.pumpAgain = false;
    this.#engine.store
      .inbox(execution.runId, execution.taken)
      .then((messages) => {
        for (const message of messages) {
          if (execution.finished) return;
          const id = BigInt(message.id);
          if (id <= execution.taken) continue;
          execution.taken = id;
          execution.idleSince = null;
          const handler = execution.handler as WorkflowHandler;
          if (message.kind === "cancel") {
            handler.cancel().catch(() => {});
            continue;
          }
          const event = decodeEvent(
            JSON.parse(message.event ?? "null"),
            this.#registryOf(execution),
          );
          try {
            handler.sendEvent(event, message.step === null ? {} : { step: message.step });
          } catch (error) {
            console.warn(
              `stepwise: an event sent into run ${execution.runId} was refused: ${(error as Error).message}`,
            );
          }
        }
      })
      .catch((error: unknown) => {
        console.warn(
          `stepwise: reading the inbox of run ${execution.runId} failed: ${(error as Error).message}`,
        );
      })
      .finally(() => {
        execution.pumping = false;
        if (execution.pumpAgain) this.#pump(execution);
      });
  }

  #registryOf(execution: Execution) {
    const runner = this.runnerOf(execution.runId);
    if (!runner)
      throw new DbosRuntimeError(
        "remoteRun",
        `Run \`${execution.runId}\` is not in progress here.`,
      );
    return runner.spec.registry;
  }

  /** Releases runs that wait idle longer than `idleTimeoutMs`: their segment ends. */
  #watchIdle(): void {
    if (this.#idleTimer) return;
    const every = Math.max(10, Math.min(1000, Math.floor(this.#idleTimeoutMs / 4)));
    this.#idleTimer = setInterval(() => {
      let any = false;
      for (const execution of this.#engine.executions.values()) {
        if (execution.runtime !== this) continue;
        any = true;
        this.#checkIdle(execution);
      }
      if (!any && this.#idleTimer) {
        clearInterval(this.#idleTimer);
        this.#idleTimer = null;
      }
    }, every);
    this.#idleTimer.unref();
  }

  /** Releases the run if it has waited idle long enough (or at all, when `now`); says whether it did. */
  #checkIdle(execution: Execution, now = false): boolean {
    if (execution.finished || execution.busy > 0 || execution.pumping) return false;
    const runner = this.runnerOf(execution.runId);
    if (!runner || runner.isEnded) return false;
    const state = runner.state;
    const idle =
      state.status === "running" &&
      state.active === 0 &&
      state.queued === 0 &&
      state.retriesPending === 0 &&
      execution.taken === execution.journaled;
    if (!idle) {
      execution.idleSince = null;
      return false;
    }
    const at = Date.now();
    if (execution.idleSince === null) execution.idleSince = at;
    if (!now && at - execution.idleSince < this.#idleTimeoutMs) return false;
    let wakeAt: number | null = null;
    for (const timer of Object.values(state.timers)) {
      if (wakeAt === null || timer.dueAt < wakeAt) wakeAt = timer.dueAt;
    }
    this.releaseRun(execution.runId);
    execution.finish("waiting");
    const runId = execution.runId;
    this.#engine.store
      .suspend(runId, execution.epoch, execution.journaled, wakeAt)
      .then(async (outcome) => {
        if (outcome && outcome !== "waiting") {
          await this.#engine.startSegment(runId, execution.workflowName, outcome.segment);
        }
      })
      .catch((error: unknown) => {
        console.warn(
          `stepwise: releasing idle run ${runId} failed (${(error as Error).message}); a worker resumes it.`,
        );
      });
    return true;
  }

  // --- ending -----------------------------------------------------------------------------

  /**
   * Stops this runtime as a crash would, for tests: its runs stop here without ending, it
   * writes nothing more; their journals stay for `recover()` (in this process or another).
   */
  crash(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const execution of [...this.#engine.executions.values()]) {
      if (execution.runtime !== this) continue;
      this.releaseRun(execution.runId);
      execution.finish("crashed");
    }
    this.#detachFromEngine();
  }

  /**
   * Leaves: runs in progress here stop and go on in a new segment on another worker (or this
   * executor when it starts again); the last runtime of the process shuts DBOS down.
   */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const mine = [...this.#engine.executions.values()].filter((e) => e.runtime === this);
    for (const execution of mine) {
      this.releaseRun(execution.runId);
      execution.finish("handedOver");
    }
    for (const execution of mine) {
      await this.#engine
        .handOver(execution.runId, execution.workflowName, execution.segment)
        // The sweeper of a live worker (or this executor's next start) takes it over.
        .catch(() => {});
    }
    this.#detachFromEngine();
    if (this.#engine.runtimes.size === 0) await this.#engine.close();
  }

  #detachFromEngine(): void {
    if (this.#idleTimer) clearInterval(this.#idleTimer);
    this.#idleTimer = null;
    for (const [name, served] of this.#engine.registry) {
      if (served.runtime === this) this.#engine.registry.delete(name);
    }
    for (const [runId, started] of this.#engine.localStarts) {
      if (started.runtime === this) this.#engine.localStarts.delete(runId);
    }
    this.#engine.runtimes.delete(this);
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new WorkflowRuntimeError("runtimeClosed", {
        runtime: `${this.name} (${this.executorId})`,
      });
    }
  }
}

function checkOptions(options: DbosRuntimeOptions): DbosRuntimeOptions {
  const problems: string[] = [];
  if (options === null || typeof options !== "object") {
    throw new WorkflowRuntimeError("invalidRuntimeOptions", {
      runtime: "DbosRuntime",
      problems: [
        'give an options object with a `databaseUrl`, e.g. `{ databaseUrl: "postgres://localhost:5432/app" }`',
      ],
    });
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key))
      problems.push(`unknown option \`${key}\` (valid: ${[...OPTION_NAMES].join(", ")})`);
  }
  if (typeof options.databaseUrl !== "string" || !/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    problems.push(
      "`databaseUrl` must be a Postgres URL, e.g. `postgres://user@localhost:5432/app`",
    );
  }
  for (const key of ["executorId", "applicationName"] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== "string" || value === ""))
      problems.push(`\`${key}\` must be a non-empty string`);
  }
  for (const key of ["idleTimeoutMs", "sweepMs", "pollMs"] as const) {
    const value = options[key];
    if (
      value !== undefined &&
      !(Number.isInteger(value) && value >= (key === "idleTimeoutMs" ? 0 : 1))
    ) {
      problems.push(`\`${key}\` must be a whole number of ms (got ${String(value)})`);
    }
  }
  if (options.worker !== undefined && typeof options.worker !== "boolean")
    problems.push("`worker` must be true or false");
  for (const [name, limit] of Object.entries(options.globalConcurrentRuns ?? {})) {
    if (!(Number.isInteger(limit) && limit >= 1))
      problems.push(`\`globalConcurrentRuns.${name}\` must be a whole number >= 1`);
  }
  if (problems.length > 0) {
    throw new WorkflowRuntimeError("invalidRuntimeOptions", { runtime: "DbosRuntime", problems });
  }
  return options;
}
