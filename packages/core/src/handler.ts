/**
 * The handle of one run: awaitable for the result, with the run's event stream, its context,
 * and ways to send events into it or cancel it.
 */
import type { Context } from "./context.js";
import { WorkflowRuntimeError } from "./errors.js";
import type { Event } from "./events.js";
import type { LoggedEvent, SubscribeOptions } from "./runtime/run-log.js";
import type { RunTrace } from "./trace.js";

/**
 * What a {@link WorkflowHandler} drives: the runner of a run in this process, or a run that a
 * runtime executes elsewhere (another process, a database) and reaches over its own channels.
 */
export interface RunHandle {
  readonly runId: string;
  readonly workflowName: string;
  /** Whether the run has ended (with a result or an error). */
  readonly isEnded: boolean;
  /** Settles with the run's result or rejects with its error; never rejects unhandled. */
  readonly result: Promise<unknown>;
  /** The sequence number of the latest event published (-1 before the first). */
  readonly lastSeq: number;
  /** The run's one in-process reader (see `WorkflowHandler.streamEvents`). */
  streamEvents(includeInternal: boolean): AsyncIterable<Event>;
  /** Follows the run's numbered log (options already checked). */
  subscribe(options: SubscribeOptions): AsyncIterable<LoggedEvent>;
  /** Sends an event into the run, to every acceptor or to `step` only. */
  send(event: Event, step: string | undefined): void;
  /** Asks the run to cancel; `result` settles when it has ended. */
  cancel(): void;
  /** What the run did so far. */
  trace(): RunTrace;
}

/** Options of `handler.streamEvents()`. */
export interface StreamEventsOptions {
  /** Also yield `StepStateChanged`, `WorkflowIdleEvent` and `UnhandledEvent`. @default false */
  includeInternal?: boolean;
}

/**
 * A running (or finished) workflow run. `await handler` gives the result: the stop event's
 * `result`, or the typed stop event itself; a step's error is re-thrown unchanged.
 *
 * @example
 * const handler = wf.run({ topic: "pirates" });
 * for await (const ev of handler.streamEvents()) console.log(ev.toJSON());
 * const result = await handler;
 */
export class WorkflowHandler<TResult = any> implements Promise<TResult> {
  readonly #runner: RunHandle;
  readonly #ctx: Context | (() => Context);

  /** @internal Made by a runtime (`Workflow.run()` asks it): `ctx` may be given lazily. */
  constructor(runner: RunHandle, ctx: Context | (() => Context)) {
    this.#runner = runner;
    this.#ctx = ctx;
  }

  /** The run's id. */
  get runId(): string {
    return this.#runner.runId;
  }

  /** The run's context, seen from outside: its store, `sendEvent`, `toJSON()`. */
  get ctx(): Context {
    const ctx = this.#ctx;
    return typeof ctx === "function" ? ctx() : ctx;
  }

  /** Whether the run has ended (with a result or an error). */
  isDone(): boolean {
    return this.#runner.isEnded;
  }

  /**
   * The published events of the run, from its start, ending with its terminal event (the stop
   * event, or `WorkflowTimedOutEvent`, `WorkflowCancelledEvent`, `WorkflowFailedEvent`). One
   * consumer per run. Subscribe in the same turn as `run()` to see internal events from the start.
   * @throws {@link WorkflowRuntimeError} on a second call.
   */
  streamEvents(options: StreamEventsOptions = {}): AsyncIterable<Event> {
    for (const key of Object.keys(options ?? {})) {
      if (key !== "includeInternal") {
        throw new WorkflowRuntimeError("unknownOption", {
          method: "streamEvents()",
          option: key,
          valid: ["includeInternal"],
        });
      }
    }
    return this.#runner.streamEvents(options.includeInternal === true);
  }

  /**
   * Follows the run's numbered log from after sequence `after` (`-1`, the default: from the
   * start; `handler.lastSeq`: only what comes next), internal events too when asked. Any number
   * of subscribers, each in order, with nothing missed and nothing twice; every subscription
   * ends when the run ends.
   */
  subscribe(options: SubscribeOptions = {}): AsyncIterable<LoggedEvent> {
    for (const key of Object.keys(options ?? {})) {
      if (key !== "after" && key !== "includeInternal") {
        throw new WorkflowRuntimeError("unknownOption", {
          method: "subscribe()",
          option: key,
          valid: ["after", "includeInternal"],
        });
      }
    }
    const after = options.after ?? -1;
    if (!Number.isInteger(after)) {
      throw new WorkflowRuntimeError("invalidOption", {
        method: "subscribe()",
        option: "after",
        expected: "an integer sequence number (-1 for the start)",
        received: String(after),
      });
    }
    return this.#runner.subscribe(options);
  }

  /** The sequence number of the latest event the run published (-1 before the first). */
  get lastSeq(): number {
    return this.#runner.lastSeq;
  }

  /** Sends an event into the run (fire-and-forget), to every acceptor or to `step` only. */
  sendEvent(event: Event, options: { step?: string } = {}): void {
    this.#runner.send(event, options.step);
  }

  /**
   * Cancels the run: publishes `WorkflowCancelledEvent`, aborts `ctx.signal`, and `await handler`
   * rejects with `WorkflowCancelledError`. Resolves once the run has ended.
   */
  async cancel(): Promise<void> {
    this.#runner.cancel();
    await this.#runner.result.then(
      () => undefined,
      () => undefined,
    );
  }

  /** What the run did so far: every event and step invocation, with times and outcomes. */
  trace(): RunTrace {
    return this.#runner.trace();
  }

  // biome-ignore lint/suspicious/noThenProperty: the handler is awaitable by design.
  then<TResult1 = TResult, TResult2 = never>(
    onfulfilled?: ((value: TResult) => TResult1 | PromiseLike<TResult1>) | null,
    onrejected?: ((reason: any) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2> {
    return (this.#runner.result as Promise<TResult>).then(onfulfilled, onrejected);
  }

  /** Like `Promise.prototype.catch`. */
  catch<TResult2 = never>(
    onrejected?: ((reason: any) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult | TResult2> {
    return (this.#runner.result as Promise<TResult>).catch(onrejected);
  }

  /** Like `Promise.prototype.finally`. */
  finally(onfinally?: (() => void) | null): Promise<TResult> {
    return (this.#runner.result as Promise<TResult>).finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return "WorkflowHandler";
  }

  toString(): string {
    return `WorkflowHandler(${this.#runner.workflowName}, runId=${this.#runner.runId})`;
  }
}
