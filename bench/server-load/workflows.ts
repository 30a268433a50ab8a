/** The workflows the load script serves: tiny ones, so that what is measured is the server. */
import {
  type Context,
  Event,
  HumanResponseEvent,
  InputRequiredEvent,
  StartEvent,
  StopEvent,
  step,
  Workflow,
} from "@stepwise/core";
import { z } from "zod";

export class TinyStart extends StartEvent.define({ n: z.number().int() }) {}
export class ProgressEvent extends Event.define({ i: z.number().int() }) {}

/** `{ n }` in, `n * 2` out, one step. */
export class TinyFlow extends Workflow {
  @step({ accepts: TinyStart, emits: StopEvent })
  double(ev: TinyStart) {
    return new StopEvent({ result: ev.n * 2 });
  }
}

/** `{ n, events }` in: streams `events` progress events (default 3), then stops with `n * 2`. */
export class StreamFlow extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  stream(ev: StartEvent, ctx: Context) {
    const events = Number(ev.get("events", 3));
    for (let i = 0; i < events; i++) ctx.writeEventToStream(new ProgressEvent({ i }));
    return new StopEvent({ result: Number(ev.get("n", 0)) * 2 });
  }
}

export class ReadyEvent extends InputRequiredEvent.define({}) {}
export class GoEvent extends HumanResponseEvent.define({ events: z.number().int() }) {}

/** Asks to go (`ReadyEvent`); on `GoEvent`, streams its `events` progress events, then stops. */
export class FanOutFlow extends Workflow {
  @step({ accepts: StartEvent, emits: ReadyEvent })
  ready() {
    return new ReadyEvent({});
  }

  @step({ accepts: GoEvent, emits: StopEvent })
  publish(ev: GoEvent, ctx: Context) {
    for (let i = 0; i < ev.events; i++) ctx.writeEventToStream(new ProgressEvent({ i }));
    return new StopEvent({ result: ev.events });
  }
}

/** The served workflows, by name. */
export function servedWorkflows(): Record<string, Workflow> {
  return {
    tiny: new TinyFlow(),
    stream: new StreamFlow(),
    fanout: new FanOutFlow({ timeout: null }),
  };
}
