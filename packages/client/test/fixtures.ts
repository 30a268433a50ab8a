/** A stepwise server on 127.0.0.1 with the workflows the client tests drive. */
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
import { createServer, type RunningServer, type ServerOptions, serve } from "@stepwise/server";
import { z } from "zod";

export class GreetStart extends StartEvent.define({ name: z.string() }) {}
export class ProgressEvent extends Event.define({ msg: z.string() }) {}
export class AskEvent extends InputRequiredEvent.define({ prompt: z.string() }) {}
export class AnswerEvent extends HumanResponseEvent.define({ response: z.string() }) {}

export class GreetFlow extends Workflow {
  @step({ accepts: GreetStart, emits: StopEvent })
  greet(ev: GreetStart) {
    return new StopEvent({ result: `Hello, ${ev.name}!` });
  }
}

/** Asks for a name, then greets whoever answers. */
export class HitlFlow extends Workflow {
  @step({ accepts: StartEvent, emits: AskEvent })
  ask(_ev: StartEvent, ctx: Context) {
    ctx.writeEventToStream(new ProgressEvent({ msg: "asking" }));
    return new AskEvent({ prompt: "name?" });
  }

  @step({ accepts: AnswerEvent, emits: StopEvent })
  answer(ev: AnswerEvent) {
    return new StopEvent({ result: `Hello, ${ev.response}!` });
  }
}

/** Streams `count` progress events, then stops. */
export class StreamFlow extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  stream(ev: StartEvent, ctx: Context) {
    const count = Number(ev.get("count", 5));
    for (let i = 1; i <= count; i++) ctx.writeEventToStream(new ProgressEvent({ msg: `${i}` }));
    return new StopEvent({ result: count });
  }
}

/** Waits until cancelled. */
export class SlowFlow extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  async wait(_ev: StartEvent, ctx: Context) {
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    return new StopEvent({ result: "never" });
  }
}

/** Serves the fixtures on a free port. */
export function serveFixtures(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const app = createServer({
    workflows: {
      greet: new GreetFlow(),
      hitl: new HitlFlow({ timeout: null }),
      stream: new StreamFlow(),
      slow: new SlowFlow({ timeout: null }),
    },
    debugger: false,
    ...options,
  });
  return serve(app, { port: 0 });
}
