/** Helpers for testing your own workflows. */
import type { Context } from "./context.js";
import type { Event, EventClass, StartEvent } from "./events.js";
import type { RunOptions, Workflow } from "./workflow.js";

/** Options of `WorkflowTestRunner.run`. */
export interface TestRunOptions extends RunOptions {
  /** Collect internal events too. @default true */
  includeInternal?: boolean;
  /** Event classes to leave out of `collected`. */
  excludeEvents?: readonly EventClass[];
}

/** What a test run gives back. */
export interface WorkflowTestResult<TResult = any> {
  /** Every streamed event, in order (minus `excludeEvents`). */
  readonly collected: Event[];
  /** How many of each event type were collected. */
  readonly eventTypes: Record<string, number>;
  readonly result: TResult;
  readonly ctx: Context;
}

/**
 * Runs a workflow to its end, collecting what it streamed.
 *
 * @example
 * const { result, eventTypes } = await new WorkflowTestRunner(new JokeFlow()).run({ topic: "cats" });
 */
export class WorkflowTestRunner<TStart = any, TResult = any> {
  readonly #workflow: Workflow<TStart, TResult>;

  constructor(workflow: Workflow<TStart, TResult>) {
    this.#workflow = workflow;
  }

  /** Runs the workflow; rejects with the run's error if it fails. */
  async run(
    input?: TStart | StartEvent,
    options: TestRunOptions = {},
  ): Promise<WorkflowTestResult<TResult>> {
    const { includeInternal = true, excludeEvents = [], ...runOptions } = options;
    const handler = this.#workflow.run(input, runOptions);
    const excluded = new Set<unknown>(excludeEvents);
    const collected: Event[] = [];
    const eventTypes: Record<string, number> = {};
    for await (const event of handler.streamEvents({ includeInternal })) {
      if (excluded.has(event.constructor)) continue;
      collected.push(event);
      const type = (event.constructor as EventClass).eventType;
      eventTypes[type] = (eventTypes[type] ?? 0) + 1;
    }
    const result = await handler;
    return { collected, eventTypes, result, ctx: handler.ctx };
  }
}
