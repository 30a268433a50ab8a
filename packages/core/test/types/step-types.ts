/**
 * Type tests: compiled by `tsc --noEmit` in CI, never run. Each `@ts-expect-error` proves that
 * a mismatch between a step method and its `accepts`/`emits` is a compile error.
 */
import {
  type Context,
  catchError,
  Event,
  StartEvent,
  type StepFailedEvent,
  StopEvent,
  step,
  Workflow,
  type WorkflowHandler,
} from "@stepwise/core";
import { z } from "zod";

class JokeEvent extends Event.define({ joke: z.string() }) {}
class CritiqueEvent extends Event.define({ critique: z.string(), score: z.number() }) {}
class MyStop extends StopEvent.define({ answer: z.string() }) {}

export class Fine extends Workflow {
  @step({ accepts: StartEvent, emits: JokeEvent })
  async generate(ev: StartEvent, _ctx: Context): Promise<JokeEvent> {
    return new JokeEvent({ joke: String(ev.topic) });
  }

  @step({ accepts: JokeEvent, emits: [CritiqueEvent, StopEvent] })
  critique(ev: JokeEvent): CritiqueEvent | StopEvent {
    return ev.joke ? new CritiqueEvent({ critique: "ok", score: 1 }) : new StopEvent();
  }

  @step({ accepts: CritiqueEvent, emits: StopEvent })
  async maybeNothing(ev: CritiqueEvent): Promise<StopEvent | null> {
    return ev.score > 0 ? new StopEvent({ result: ev.critique }) : null;
  }

  @step({ accepts: [JokeEvent, CritiqueEvent] })
  observe(_ev: JokeEvent | CritiqueEvent): void {}

  @catchError({ forSteps: ["generate"], emits: StopEvent })
  async recover(ev: StepFailedEvent) {
    return new StopEvent({ result: ev.error.message });
  }
}

export class WrongParameter extends Workflow {
  // @ts-expect-error the method takes a JokeEvent but the step accepts StartEvent
  @step({ accepts: CritiqueEvent, emits: StopEvent })
  async wrong(ev: JokeEvent) {
    return new StopEvent({ result: ev.joke });
  }
}

export class ParameterTooNarrow extends Workflow {
  // @ts-expect-error the step accepts two classes but the method takes only one
  @step({ accepts: [JokeEvent, CritiqueEvent], emits: StopEvent })
  async narrow(ev: CritiqueEvent) {
    return new StopEvent({ result: ev.critique });
  }
}

export class WrongReturn extends Workflow {
  // @ts-expect-error returns a CritiqueEvent, which is not in `emits`
  @step({ accepts: JokeEvent, emits: StopEvent })
  async wrong(_ev: JokeEvent) {
    return new CritiqueEvent({ critique: "c", score: 1 });
  }
}

export class ReturnsWithoutEmits extends Workflow {
  // @ts-expect-error a step without `emits` must return nothing
  @step({ accepts: JokeEvent })
  async wrong(_ev: JokeEvent) {
    return new StopEvent();
  }
}

export class CatchErrorWrongParameter extends Workflow {
  // @ts-expect-error a @catchError handler takes a StepFailedEvent
  @catchError({ emits: StopEvent })
  async recover(_ev: JokeEvent) {
    return new StopEvent();
  }
}

// The function API types the handler's parameter from `accepts`.
new Workflow().addStep(
  "f",
  { accepts: JokeEvent, emits: StopEvent },
  (ev) => new StopEvent({ result: ev.joke }),
);
new Workflow().addStep(
  "g",
  { accepts: JokeEvent, emits: StopEvent },
  // @ts-expect-error `critique` is not a field of JokeEvent
  (ev) => new StopEvent({ result: ev.critique }),
);
new Workflow().addStep(
  "h",
  { accepts: JokeEvent, emits: StopEvent },
  // @ts-expect-error the function returns an event that is not in `emits`
  () => new CritiqueEvent({ critique: "c", score: 1 }),
);

// Events: fields are typed, required fields are required, instances are readonly.
const joke = new JokeEvent({ joke: "j" });
joke.joke satisfies string;
// @ts-expect-error `joke` must be a string
new JokeEvent({ joke: 1 });
// @ts-expect-error `joke` is required
new JokeEvent({});
// @ts-expect-error events are immutable
joke.joke = "other";
class WithDefault extends Event.define({ n: z.number().default(1) }) {}
new WithDefault();
new StartEvent({ anything: 1 }).anything satisfies any;
class TypedStart extends StartEvent.define({ query: z.string() }) {}
new TypedStart({ query: "q" }).query satisfies string;
// @ts-expect-error a typed start has no dynamic fields in its type
new TypedStart({ query: "q" }).other;

// run() is typed by the workflow's generics.
class Typed extends Workflow<{ query: string }, MyStop> {
  @step({ accepts: TypedStart, emits: MyStop })
  go(ev: TypedStart) {
    return new MyStop({ answer: ev.query });
  }
}
export const handler = new Typed().run({ query: "q" }) satisfies WorkflowHandler<MyStop>;
export async function resultType() {
  const result = await new Typed().run({ query: "q" });
  result.answer satisfies string;
  // @ts-expect-error `query` must be a string
  new Typed().run({ query: 1 });
}

// collectEvents returns the expected events as a tuple, in order.
new Workflow().addStep("c", { accepts: JokeEvent, emits: StopEvent }, (ev, ctx) => {
  const all = ctx.collectEvents(ev, [JokeEvent, CritiqueEvent] as const);
  if (all) {
    all[0].joke satisfies string;
    all[1].score satisfies number;
  }
  return null;
});

// Typed state.
const stateSchema = z.object({ count: z.number().default(0) });
new Workflow({ state: stateSchema }).addStep(
  "s",
  { accepts: StartEvent, emits: StopEvent },
  async (_ev, ctx) => {
    await ctx.store.edit((state) => {
      state.count satisfies number;
    });
    return null;
  },
);
