/**
 * The handlers a server started: each run's record in the store, the run itself while it is in
 * this process (its handler and its feed of events), how a run's end becomes its record, and
 * (with `idleTimeout`) the release of idle runs and their return (`idle-release.ts`).
 */
import {
  type Context,
  type Event,
  type EventClass,
  type Runtime,
  type Workflow,
  WorkflowCancelledEvent,
  WorkflowFailedEvent,
  type WorkflowHandler,
  WorkflowIdleEvent,
  WorkflowTimedOutEvent,
} from "@stepwise/core";
import { envelopeOf, toJsonSafe } from "./envelope.js";
import type { HandlerQuery, HandlerRecord, HandlerStatus, HandlerStore } from "./handler-store.js";
import { HttpError } from "./http-error.js";
import { type IdleRelease, setTimer } from "./idle-release.js";
import { createId } from "./ids.js";
import { type FeedEntry, pumpRun, RunFeed } from "./run-feed.js";

/** A workflow as the server serves it. */
export interface ServedWorkflow {
  /** The name it is served under (`workflow_name` on the wire). */
  readonly name: string;
  readonly workflow: Workflow;
  /** The event classes a request may name, by type, in the workflow's order. */
  readonly registry: ReadonlyMap<string, EventClass>;
}

/** A run in this process. */
interface LiveRun {
  record: HandlerRecord;
  readonly served: ServedWorkflow;
  readonly handler: WorkflowHandler;
  readonly feed: RunFeed;
  /** Resolves to the final record once the run has ended and it is stored. */
  readonly settled: Promise<HandlerRecord>;
  /** The timer that releases the run when it has been idle long enough. */
  idleTimer: unknown;
  /** Released from memory: its end is not this run's (it goes on when resumed). */
  isReleased: boolean;
  /** A `/run` request waits for its end: it is not released. */
  isAwaited: boolean;
}

/** Options of {@link HandlerService}. */
export interface HandlerServiceOptions {
  readonly store: HandlerStore;
  /** Where runs execute; null: each workflow's own runtime. */
  readonly runtime: Runtime | null;
  /** Milliseconds since the epoch, for the records' timestamps. */
  readonly now: () => number;
  /** Told about a failure nobody awaits (a store write when a run ends). */
  readonly report: (message: string, error: unknown) => void;
  /** The served workflows by name, for runs brought back from a journal. */
  readonly workflows: ReadonlyMap<string, ServedWorkflow>;
  /** Whether and when idle runs are released; null: never. */
  readonly idle: IdleRelease | null;
}

/** What a stream reads: the handler's record and the feed of its run's events. */
export interface HandlerEvents {
  readonly record: HandlerRecord;
  readonly feed: RunFeed | null;
}

/** Starts runs for handlers, keeps their records, and answers for them. */
export class HandlerService {
  readonly #options: HandlerServiceOptions;
  readonly #live = new Map<string, LiveRun>();
  /** Handler ids being started, so that two requests cannot start the same one. */
  readonly #starting = new Set<string>();
  /** Released runs being resumed, so that two requests resume a run once. */
  readonly #resuming = new Map<string, Promise<LiveRun | undefined>>();
  /** Timers that resume released runs when their next timer falls due, by handler id. */
  readonly #wakers = new Map<string, unknown>();

  constructor(options: HandlerServiceOptions) {
    this.#options = options;
  }

  get store(): HandlerStore {
    return this.#options.store;
  }

  /** The time for a record, in milliseconds since the epoch. */
  now(): number {
    return this.#options.now();
  }

  /**
   * Records a new handler, then starts its run (from `startEvent`, or resuming `ctx`). A handler
   * id of an ended handler starts a new run under the same id, with the store of the ended run
   * when it is still in memory.
   * @throws {@link HttpError} 409 when the handler id names a handler that is running.
   */
  async start(
    served: ServedWorkflow,
    startEvent: Event | null,
    handlerId: string = createId(),
    context?: Context,
  ): Promise<HandlerRecord> {
    if (this.#starting.has(handlerId)) throw alreadyRunning(handlerId);
    this.#starting.add(handlerId);
    try {
      const existing = await this.get(handlerId);
      if (existing?.status === "running") throw alreadyRunning(handlerId);
      const previous = this.#live.get(handlerId);
      const ctx = context ?? (previous?.served === served ? previous.handler.ctx : undefined);
      const now = this.#options.now();
      const record: HandlerRecord = {
        handlerId,
        workflowName: served.name,
        runId: createId(),
        status: "running",
        error: null,
        result: null,
        startedAt: now,
        updatedAt: now,
        completedAt: null,
      };
      // The record comes first, so that a run that ends at once still finds it.
      await this.store.put(record);
      let handler: WorkflowHandler;
      try {
        handler = this.#startRun(served.workflow, startEvent, record.runId, ctx);
      } catch (error) {
        if (existing) await this.store.put(existing);
        else await this.store.delete(handlerId);
        throw error;
      }
      this.#follow(served, handler, record);
      return record;
    } finally {
      this.#starting.delete(handlerId);
    }
  }

  /** Follows a run started elsewhere (recovered by the runtime) under an existing record. */
  adopt(served: ServedWorkflow, handler: WorkflowHandler, record: HandlerRecord): void {
    // A recovered run may be idle already, with no new WorkflowIdleEvent to come.
    this.#armIdle(this.#follow(served, handler, record));
  }

  #startRun(
    workflow: Workflow,
    startEvent: Event | null,
    runId: string,
    ctx: Context | undefined,
  ): WorkflowHandler {
    const runtime = this.#options.runtime;
    return workflow.run(startEvent ?? undefined, {
      runId,
      ...(ctx ? { ctx } : {}),
      ...(runtime ? { runtime } : {}),
    });
  }

  #follow(served: ServedWorkflow, handler: WorkflowHandler, record: HandlerRecord): LiveRun {
    const feed = new RunFeed();
    let settle!: (record: HandlerRecord) => void;
    const settled = new Promise<HandlerRecord>((resolve) => {
      settle = resolve;
    });
    const live: LiveRun = {
      record,
      served,
      handler,
      feed,
      settled,
      idleTimer: null,
      isReleased: false,
      isAwaited: false,
    };
    this.#live.set(record.handlerId, live);
    const finish = async (terminal: Event | null) => {
      // A released run's log ended here, but the run did not: its record stays `running`.
      if (live.isReleased) return;
      this.#disarmIdle(live);
      const ended = await endedRecord(live.record, handler, terminal, this.#options.now);
      live.record = ended;
      try {
        await this.store.put(ended);
      } catch (error) {
        this.#options.report(
          `could not store the end of handler ${ended.handlerId} (run ${ended.runId})`,
          error,
        );
      }
      settle(ended);
    };
    const onEntry = this.#options.idle ? (entry: FeedEntry) => this.#onEntry(live, entry) : null;
    pumpRun(handler, feed, finish, onEntry).catch((error: unknown) => {
      this.#options.report(`the event feed of handler ${record.handlerId} failed`, error);
    });
    return live;
  }

  /** Any event of a run puts off its release; a WorkflowIdleEvent starts the wait for it. */
  #onEntry(live: LiveRun, entry: FeedEntry): void {
    this.#disarmIdle(live);
    if (entry.event instanceof WorkflowIdleEvent) this.#armIdle(live);
  }

  #armIdle(live: LiveRun): void {
    const idle = this.#options.idle;
    if (!idle || live.isReleased) return;
    this.#disarmIdle(live);
    live.idleTimer = setTimer(idle.runtime.clock, () => this.#release(live), idle.timeoutMs);
  }

  #disarmIdle(live: LiveRun): void {
    if (live.idleTimer === null) return;
    this.#options.idle?.runtime.clock.clearTimeout(live.idleTimer);
    live.idleTimer = null;
  }

  /** Releases the run from memory if it still waits idle and nothing waits on it. */
  #release(live: LiveRun): void {
    live.idleTimer = null;
    const idle = this.#options.idle;
    const handlerId = live.record.handlerId;
    if (!idle || this.#live.get(handlerId) !== live || live.isReleased) return;
    if (live.isAwaited || live.feed.listenerCount > 0) {
      this.#armIdle(live);
      return;
    }
    live.isReleased = true;
    const released = idle.runtime.releaseIdleRun(live.record.runId);
    if (!released) {
      // Working again: its next WorkflowIdleEvent starts the wait anew.
      live.isReleased = false;
      return;
    }
    this.#live.delete(handlerId);
    if (released.wakeAt !== null) {
      const clock = idle.runtime.clock;
      const wake = () => {
        this.#wakers.delete(handlerId);
        this.#resume(handlerId).catch((error: unknown) => {
          this.#options.report(`could not resume handler ${handlerId} for its timer`, error);
        });
      };
      this.#wakers.set(handlerId, setTimer(clock, wake, released.wakeAt - clock.now()));
    }
  }

  /** The run of a handler in this process, resumed from its journal if it was released. */
  async #liveRun(handlerId: string): Promise<LiveRun | undefined> {
    return this.#live.get(handlerId) ?? (this.#options.idle ? this.#resume(handlerId) : undefined);
  }

  #resume(handlerId: string): Promise<LiveRun | undefined> {
    let resuming = this.#resuming.get(handlerId);
    if (!resuming) {
      resuming = this.#resumeOnce(handlerId).finally(() => this.#resuming.delete(handlerId));
      this.#resuming.set(handlerId, resuming);
    }
    return resuming;
  }

  async #resumeOnce(handlerId: string): Promise<LiveRun | undefined> {
    const idle = this.#options.idle;
    const live = this.#live.get(handlerId);
    if (live || !idle) return live;
    const record = await this.store.get(handlerId);
    const served = record ? this.#options.workflows.get(record.workflowName) : undefined;
    if (record?.status !== "running" || !served) return undefined;
    const resumed = await idle.runtime.resumeRun(served.workflow, record.runId);
    if (!resumed) return undefined;
    const waker = this.#wakers.get(handlerId);
    if (waker !== undefined) idle.runtime.clock.clearTimeout(waker);
    this.#wakers.delete(handlerId);
    const revived = this.#follow(served, resumed.handler, record);
    this.#armIdle(revived);
    return revived;
  }

  /** The handler's record: the one in memory while its run is here, else the stored one. */
  async get(handlerId: string): Promise<HandlerRecord | undefined> {
    return this.#live.get(handlerId)?.record ?? (await this.store.get(handlerId));
  }

  async list(query: HandlerQuery): Promise<readonly HandlerRecord[]> {
    return this.store.list(query);
  }

  /** Resolves to the handler's final record once its run has ended. */
  async wait(handlerId: string): Promise<HandlerRecord | undefined> {
    const live = await this.#liveRun(handlerId);
    if (!live) return this.get(handlerId);
    live.isAwaited = true;
    this.#disarmIdle(live);
    return live.settled;
  }

  /**
   * Cancels a running handler's run (and with `purge`, forgets the handler).
   * @returns what was done, or null when there is no such handler (or, without `purge`, it has
   * already ended).
   */
  async cancel(handlerId: string, purge: boolean): Promise<"cancelled" | "deleted" | null> {
    const record = await this.get(handlerId);
    if (!record || (!purge && record.status !== "running")) return null;
    if (record.status === "running") {
      const live = await this.#liveRun(handlerId);
      if (live) {
        await live.handler.cancel();
        await live.settled;
      } else {
        // Its run is not in this process (nothing recovered it): only the record is left.
        const now = this.#options.now();
        await this.store.put({ ...record, status: "cancelled", updatedAt: now, completedAt: now });
      }
    }
    if (purge) {
      this.#live.delete(handlerId);
      await this.store.delete(handlerId);
      return "deleted";
    }
    return "cancelled";
  }

  /**
   * The running handler's workflow and run, for sending it an event.
   * @throws {@link HttpError} 404 for no such handler, 409 when it has ended.
   */
  async running(handlerId: string): Promise<{ served: ServedWorkflow; handler: WorkflowHandler }> {
    const record = await this.get(handlerId);
    if (!record) throw new HttpError(404, "Handler not found");
    if (record.status !== "running") throw new HttpError(409, "Workflow already completed");
    const live = await this.#liveRun(handlerId);
    if (!live) {
      throw new HttpError(500, `Failed to send event: handler ${handlerId} has no run here`);
    }
    // The event about to be sent puts off the run's release until it is idle again.
    this.#disarmIdle(live);
    return { served: live.served, handler: live.handler };
  }

  /** The handler's record and its run's events (null when nothing kept them). */
  async events(
    handlerId: string,
    workflowOf: (name: string) => Workflow | undefined = () => undefined,
  ): Promise<HandlerEvents | null> {
    const live = await this.#liveRun(handlerId);
    if (live) return { record: live.record, feed: live.feed };
    const record = await this.store.get(handlerId);
    if (!record) return null;
    const stored = (await this.store.events?.(record, workflowOf(record.workflowName))) ?? null;
    return { record, feed: stored ? RunFeed.fromStored(stored) : null };
  }

  /** How many runs of this process are followed (running or ended, until purged). */
  get runsInMemory(): number {
    return this.#live.size;
  }

  /** How many streams wait on runs of this process. */
  get waitingStreams(): number {
    let count = 0;
    for (const live of this.#live.values()) count += live.feed.listenerCount;
    return count;
  }
}

function alreadyRunning(handlerId: string): HttpError {
  return new HttpError(409, `Handler '${handlerId}' is already running`);
}

/** How a run ended, from its terminal event and its result. */
async function endedRecord(
  record: HandlerRecord,
  handler: WorkflowHandler,
  terminal: Event | null,
  now: () => number,
): Promise<HandlerRecord> {
  let error: string | null = null;
  let isRejected = false;
  try {
    await handler;
  } catch (reason) {
    isRejected = true;
    error = reason instanceof Error ? reason.message : String(reason);
  }
  let status: HandlerStatus;
  if (terminal instanceof WorkflowCancelledEvent) status = "cancelled";
  else if (
    isRejected ||
    terminal instanceof WorkflowFailedEvent ||
    terminal instanceof WorkflowTimedOutEvent
  )
    status = "failed";
  else status = "completed";
  const at = now();
  return {
    ...record,
    status,
    error: status === "cancelled" ? null : error,
    result: status === "completed" && terminal ? toJsonSafe(envelopeOf(terminal)) : null,
    updatedAt: at,
    completedAt: at,
  };
}
