/** What the runner needs to know about a workflow: built once per validated step table. */
import type { z } from "zod";
import type { RunConfig } from "../control-loop/run-state.js";
import { WorkflowRuntimeError } from "../errors.js";
import type { EventRegistry } from "../event-codec.js";
import type { Event, EventClass } from "../events.js";
import type { ErrorRegistry } from "../failure.js";
import type { RetryPolicy } from "../retry.js";
import { classInfo } from "./loop-support.js";
import type { RunObserver } from "./observer.js";

/** One step as the runner calls it. */
export interface StepInfo {
  readonly name: string;
  readonly fn: (this: unknown, event: any, ctx: any) => unknown;
  readonly retry: RetryPolicy | undefined;
  /**
   * False for a function declared with exactly one parameter: it has nowhere to put a context,
   * so none is made for it (a context per call is a measurable share of a short step).
   */
  readonly takesContext: boolean;
  readonly accepts: readonly EventClass[];
  readonly acceptsTypes: ReadonlySet<string>;
  /** Also receives subclasses of what it accepts. */
  readonly acceptSubclasses: boolean;
  /** May return an array of events (a fan-out). */
  readonly fanOut: boolean;
  /** Whether it declares `emits` (so returning nothing may be a forgotten `return`). */
  readonly declaresEmits: boolean;
}

/** A workflow, compiled for running. */
export interface WorkflowSpec {
  /** `this` for class-based step methods. */
  readonly workflow: object;
  readonly name: string;
  readonly steps: ReadonlyMap<string, StepInfo>;
  readonly config: RunConfig;
  readonly startEventClass: EventClass;
  readonly stopEventClass: EventClass;
  readonly registry: EventRegistry;
  /** Run timeout in ms, or null for none. */
  readonly timeoutMs: number | null;
  /** Where verbose lines go, or null when not verbose. */
  readonly log: ((line: string) => void) | null;
  readonly stateSchema: z.ZodType | undefined;
  /** Whether runs record a trace for `handler.trace()`. */
  readonly trace: boolean;
  /** The workflow's own observers. */
  readonly observers: readonly RunObserver[];
  /** Error classes failures are revived as (the workflow's `errors` and the built-in ones). */
  readonly errors: ErrorRegistry;
  /**
   * Adds the route of an event class seen for the first time (its subclass-accepting steps);
   * null when no step accepts subclasses, so routes are complete from the start.
   */
  readonly ensureRoute: ((cls: EventClass) => void) | null;
}

/**
 * Checks that `step` exists and receives `event` (`sendEvent(event, { step })`).
 * @throws {@link WorkflowRuntimeError} `unknownStep` or `stepDoesNotAccept`.
 */
export function checkSendTarget(spec: WorkflowSpec, event: Event, step: string): void {
  const info = spec.steps.get(step);
  const type = classInfo(event.constructor as EventClass).type;
  if (!info) {
    throw new WorkflowRuntimeError("unknownStep", {
      step,
      workflow: spec.name,
      steps: [...spec.steps.keys()],
    });
  }
  const receives =
    info.acceptsTypes.has(type) ||
    (info.acceptSubclasses &&
      info.accepts.some((accepted) => event instanceof (accepted as unknown as typeof Event)));
  if (!receives) {
    throw new WorkflowRuntimeError("stepDoesNotAccept", {
      step,
      eventType: type,
      accepts: [...info.acceptsTypes],
    });
  }
}
