/**
 * A run on the database, seen from any process: its result, its numbered log (read from the
 * events table as batches are written, woken by notifications), and the way in (its inbox).
 * `WorkflowHandler` drives it through core's `RunHandle`.
 */

import type { RunTrace } from "@stepwise/core";
import {
  type Event,
  StopEvent,
  WorkflowCancelledError,
  WorkflowFailedEvent,
  WorkflowRuntimeError,
  WorkflowTimedOutEvent,
  WorkflowTimeoutError,
} from "@stepwise/core";
import {
  checkSendTarget,
  decodePublished,
  type LoggedEvent,
  type RunHandle,
  type SubscribeOptions,
  type WorkflowSpec,
} from "@stepwise/core/runtime";
import { DbosRuntimeError } from "./errors.js";
import type { Notifier, RunNotice } from "./notifier.js";
import { ENDED, type RunStore } from "./store.js";

/** What a remote run needs of its runtime. */
export interface RemoteRunHost {
  readonly store: RunStore;
  /** The notifier, once the runtime is launched. */
  notifier(): Promise<Notifier>;
  /** Sends an event or a cancel into the run (fire-and-forget from the handler). */
  deliver(runId: string, kind: "event" | "cancel", event: Event | null, step: string | null): void;
  /** The trace of the run, when it executes in this process. */
  localTrace(runId: string): RunTrace | null;
  /** The handler of the run's execution in this process, once it ended here in `segment`. */
  endedHere(runId: string, segment: number): PromiseLike<unknown> | null;
}

/** How long a reader waits for a notification before it looks at the database anyway, in ms. */
const POLL_MS = 2000;
const PAGE = 500;

export class RemoteRun implements RunHandle {
  readonly runId: string;
  readonly workflowName: string;
  readonly #spec: WorkflowSpec;
  readonly #host: RemoteRunHost;
  /** Settles when the run is on the database (or was refused). */
  readonly #admitted: Promise<void>;
  #status = "queued";
  #lastSeq = -1;
  #result: Promise<unknown> | null = null;
  #readerTaken = false;

  constructor(spec: WorkflowSpec, runId: string, host: RemoteRunHost, admitted: Promise<void>) {
    this.runId = runId;
    this.workflowName = spec.name;
    this.#spec = spec;
    this.#host = host;
    this.#admitted = admitted;
    admitted.catch(() => {});
  }

  get isEnded(): boolean {
    return ENDED.has(this.#status) || this.#status === "refused";
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get result(): Promise<unknown> {
    if (!this.#result) {
      this.#result = this.#awaitResult();
      this.#result.catch(() => {});
    }
    return this.#result;
  }

  #saw(notice: { lastSeq: number; status: string }): void {
    if (notice.lastSeq > this.#lastSeq) this.#lastSeq = notice.lastSeq;
    if (!ENDED.has(this.#status)) this.#status = notice.status;
  }

  async #awaitResult(): Promise<unknown> {
    try {
      await this.#admitted;
    } catch (error) {
      this.#status = "refused";
      throw error;
    }
    const notifier = await this.#host.notifier();
    const wake = new Wake();
    const stop = notifier.onRun(this.runId, (notice: RunNotice) => {
      this.#saw(notice);
      if (ENDED.has(notice.status)) wake.fire();
    });
    try {
      for (;;) {
        const row = await this.#host.store.getRun(this.runId);
        if (!row) throw unknownRun(this.runId);
        this.#saw({ lastSeq: row.last_seq, status: row.status });
        if (ENDED.has(row.status)) {
          const here = this.#host.endedHere(this.runId, row.segment);
          if (here !== null) return await here;
          return await this.#outcome(row.status);
        }
        await wake.wait(POLL_MS);
      }
    } finally {
      stop();
    }
  }

  /** The run's result, read from its terminal event. */
  async #outcome(status: string): Promise<unknown> {
    const json = await this.#host.store.lastEvent(this.runId);
    const event = json
      ? decodePublished(JSON.parse(json), this.#spec.registry, { runId: this.runId }).event
      : null;
    if (status === "completed" && event instanceof StopEvent) {
      return event.constructor === StopEvent ? event.result : event;
    }
    if (status === "cancelled") throw new WorkflowCancelledError("cancelled");
    if (status === "timedOut" && event instanceof WorkflowTimedOutEvent) {
      throw new WorkflowTimeoutError("runTimeout", {
        timeout: event.timeout,
        activeSteps: event.activeSteps,
      });
    }
    if (event instanceof WorkflowFailedEvent) throw event.error;
    throw new WorkflowRuntimeError("engineFailed", {
      reason: `run \`${this.runId}\` ${status === "failed" ? "failed" : `ended (${status})`} in the process that ran it`,
    });
  }

  subscribe(options: SubscribeOptions): AsyncIterable<LoggedEvent> {
    const after = options.after ?? -1;
    const includeInternal = options.includeInternal === true;
    return { [Symbol.asyncIterator]: () => this.#read(after, includeInternal) };
  }

  async *#read(after: number, includeInternal: boolean): AsyncGenerator<LoggedEvent> {
    await this.#admitted;
    const notifier = await this.#host.notifier();
    const wake = new Wake();
    let ended = false;
    let last = Number.POSITIVE_INFINITY;
    const stop = notifier.onRun(this.runId, (notice) => {
      this.#saw(notice);
      wake.fire();
    });
    let cursor = after;
    try {
      for (;;) {
        // Look at the row first: events written before it said "ended" are all there after.
        const row = await this.#host.store.getRun(this.runId);
        if (!row) throw unknownRun(this.runId);
        this.#saw({ lastSeq: row.last_seq, status: row.status });
        if (ENDED.has(row.status)) {
          ended = true;
          last = row.last_seq;
        }
        for (;;) {
          const rows = await this.#host.store.events(this.runId, cursor, PAGE);
          for (const stored of rows) {
            cursor = stored.seq;
            if (stored.internal && !includeInternal) continue;
            const entry = decodePublished(JSON.parse(stored.event), this.#spec.registry, {
              runId: this.runId,
            });
            yield { seq: entry.seq, internal: entry.internal, event: entry.event };
          }
          if (rows.length < PAGE) break;
        }
        if (ended && cursor >= last) return;
        await wake.wait(POLL_MS);
      }
    } finally {
      stop();
    }
  }

  streamEvents(includeInternal: boolean): AsyncIterable<Event> {
    if (this.#readerTaken) throw new WorkflowRuntimeError("streamConsumed", {});
    this.#readerTaken = true;
    const entries = this.subscribe({ after: -1, includeInternal });
    let iterating = false;
    return {
      [Symbol.asyncIterator]: () => {
        if (iterating) throw new WorkflowRuntimeError("streamIterating", {});
        iterating = true;
        return (async function* () {
          for await (const entry of entries) yield entry.event;
        })();
      },
    };
  }

  send(event: Event, step: string | undefined): void {
    if (ENDED.has(this.#status)) {
      throw new WorkflowRuntimeError("runEnded", {
        runId: this.runId,
        workflow: this.workflowName,
      });
    }
    if (step !== undefined) checkSendTarget(this.#spec, event, step);
    this.#host.deliver(this.runId, "event", event, step ?? null);
  }

  cancel(): void {
    if (this.isEnded) return;
    this.#host.deliver(this.runId, "cancel", null, null);
  }

  trace(): RunTrace {
    const trace = this.#host.localTrace(this.runId);
    if (trace) return trace;
    throw new DbosRuntimeError(
      "remoteRun",
      `The trace of run \`${this.runId}\` is recorded in the worker process that runs it, not in this one; read its events with \`handler.subscribe()\`.`,
      { runId: this.runId },
    );
  }
}

function unknownRun(runId: string): DbosRuntimeError {
  return new DbosRuntimeError("unknownRun", `There is no run \`${runId}\` on this database.`, {
    runId,
  });
}

/** A wake-up that may come before anyone waits for it. */
class Wake {
  #pending = false;
  #resolve: (() => void) | null = null;

  fire(): void {
    if (this.#resolve) {
      const resolve = this.#resolve;
      this.#resolve = null;
      resolve();
    } else this.#pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#resolve = null;
        resolve();
      }, ms);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
