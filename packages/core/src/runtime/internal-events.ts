/**
 * The run's internal events, recorded as small data objects and made into events only when a
 * subscriber that asked for internal events reads them.
 */
import {
  createEventUnchecked,
  type Event,
  StepStateChanged,
  UnhandledEvent,
  WorkflowIdleEvent,
} from "../events.js";
import { InternalEntry } from "./run-log.js";

/** `StepStateChanged`. */
export class StepStateEntry extends InternalEntry {
  constructor(
    readonly name: string,
    readonly stepState: "preparing" | "running" | "notRunning",
    readonly workerId: number | "<enqueued>",
    readonly inputEventName: string,
    readonly outputEventName: string | null,
  ) {
    super();
  }

  protected make(): Event {
    return createEventUnchecked(StepStateChanged, {
      name: this.name,
      stepState: this.stepState,
      workerId: this.workerId,
      inputEventName: this.inputEventName,
      outputEventName: this.outputEventName,
    });
  }
}

/** `WorkflowIdleEvent`. */
export class IdleEntry extends InternalEntry {
  protected make(): Event {
    return createEventUnchecked(WorkflowIdleEvent, {});
  }
}

/** `UnhandledEvent`. */
export class UnhandledEntry extends InternalEntry {
  constructor(
    readonly eventType: string,
    readonly stepName: string | null,
    readonly idle: boolean,
  ) {
    super();
  }

  protected make(): Event {
    return createEventUnchecked(UnhandledEvent, {
      eventType: this.eventType,
      stepName: this.stepName,
      idle: this.idle,
    });
  }
}

/** An internal event read back from a journal. */
export class RestoredInternal extends InternalEntry {
  constructor(readonly restored: Event) {
    super();
  }

  protected make(): Event {
    return this.restored;
  }
}
