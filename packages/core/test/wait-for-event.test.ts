import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Context,
  Event,
  HumanResponseEvent,
  InMemoryRuntime,
  InputRequiredEvent,
  StartEvent,
  StepStateChanged,
  StopEvent,
  step,
  TestClock,
  Workflow,
  WorkflowIdleEvent,
  WorkflowTimeoutError,
} from "@stepwise/core";
import { z } from "zod";

class QuestionEvent extends InputRequiredEvent.define({ prompt: z.string() }) {}
class AnswerEvent extends HumanResponseEvent.define({
  id: z.string().default(""),
  text: z.string(),
}) {}
class AskEvent extends Event.define({ id: z.string() }) {}
class DoneEvent extends Event.define({ id: z.string(), text: z.string() }) {}
class AEvent extends Event.define({ n: z.number() }) {}
class BEvent extends Event.define({ n: z.number() }) {}
class NextEvent extends Event.define({}) {}
class GoEvent extends HumanResponseEvent.define({ round: z.number() }) {}
const PAIR = [AEvent, BEvent] as const;

function runtime(clock = new TestClock()) {
  return new InMemoryRuntime({ clock });
}

/** A step that asks a question, waits for the answer and stops with it; counts its starts. */
function askingWorkflow(counter: { before: number }, clock = new TestClock()) {
  class Asking extends Workflow {
    @step({ accepts: StartEvent, emits: StopEvent })
    async ask(ev: StartEvent, ctx: Context) {
      counter.before++;
      const answer = await ctx.waitForEvent(AnswerEvent, {
        waiterEvent: new QuestionEvent({ prompt: `Favourite ${ev.topic}?` }),
      });
      return new StopEvent({ result: `${ev.topic}: ${answer.text}` });
    }
  }
  return new Asking({ runtime: runtime(clock) });
}

describe("ctx.waitForEvent", () => {
  it("re-runs the waiting step from the top with its original input once the event arrives", async () => {
    const counter = { before: 0 };
    const handler = askingWorkflow(counter).run({ topic: "colour" });
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof QuestionEvent) handler.sendEvent(new AnswerEvent({ text: "blue" }));
    }
    assert.equal(await handler, "colour: blue");
    assert.equal(counter.before, 2);
  });

  it("publishes the waiterEvent once per waiter, not again when the step re-runs", async () => {
    const handler = askingWorkflow({ before: 0 }).run({ topic: "colour" });
    const prompts: string[] = [];
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof QuestionEvent) {
        prompts.push(ev.prompt);
        handler.sendEvent(new AnswerEvent({ text: "blue" }));
      }
    }
    await handler;
    assert.deepEqual(prompts, ["Favourite colour?"]);
  });

  it("resolves only the waiter whose requirements match the event's fields", async () => {
    const clock = new TestClock();
    const done: string[] = [];
    class Matching extends Workflow {
      @step({ accepts: StartEvent, emits: AskEvent })
      async fanOut(_ev: StartEvent, ctx: Context) {
        ctx.sendEvent(new AskEvent({ id: "a" }));
        ctx.sendEvent(new AskEvent({ id: "b" }));
        return null;
      }

      @step({ accepts: AskEvent, emits: DoneEvent })
      async ask(ev: AskEvent, ctx: Context) {
        const answer = await ctx.waitForEvent(AnswerEvent, { requirements: { id: ev.id } });
        return new DoneEvent({ id: ev.id, text: answer.text });
      }

      @step({ accepts: DoneEvent, emits: StopEvent })
      async gather(ev: DoneEvent) {
        done.push(`${ev.id}=${ev.text}`);
        return done.length < 2 ? null : new StopEvent({ result: done.join(",") });
      }
    }
    const handler = new Matching({ runtime: runtime(clock) }).run();
    await clock.advance(0);
    handler.sendEvent(new AnswerEvent({ id: "b", text: "B" }));
    await clock.advance(0);
    assert.deepEqual(done, ["b=B"]);
    handler.sendEvent(new AnswerEvent({ id: "a", text: "A" }));
    await clock.advance(0);
    assert.equal(handler.isDone(), true);
    assert.equal(await handler, "b=B,a=A");
  });

  it("leaves a waiter waiting when the event's fields do not match its requirements", async () => {
    const clock = new TestClock();
    const counter = { before: 0 };
    class Picky extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async picky(_ev: StartEvent, ctx: Context) {
        counter.before++;
        const answer = await ctx.waitForEvent(AnswerEvent, { requirements: { id: "wanted" } });
        return new StopEvent({ result: answer.text });
      }
    }
    const handler = new Picky({ runtime: runtime(clock) }).run();
    await clock.advance(0);
    handler.sendEvent(new AnswerEvent({ id: "other", text: "ignored" }));
    await clock.advance(0);
    assert.equal(handler.isDone(), false);
    assert.equal(counter.before, 1);
    handler.sendEvent(new AnswerEvent({ id: "wanted", text: "taken" }));
    assert.equal(await handler, "taken");
  });

  it("frees the step's worker while it waits, so other inputs of that step run", async () => {
    const clock = new TestClock();
    const asked: string[] = [];
    class OneWorker extends Workflow {
      @step({ accepts: StartEvent, emits: AskEvent })
      async fanOut(_ev: StartEvent, ctx: Context) {
        ctx.sendEvent(new AskEvent({ id: "a" }));
        ctx.sendEvent(new AskEvent({ id: "b" }));
        return null;
      }

      @step({ accepts: AskEvent, emits: StopEvent, numWorkers: 1 })
      async ask(ev: AskEvent, ctx: Context) {
        asked.push(ev.id);
        const answer = await ctx.waitForEvent(AnswerEvent, { requirements: { id: ev.id } });
        return new StopEvent({ result: answer.text });
      }
    }
    const handler = new OneWorker({ runtime: runtime(clock) }).run();
    await clock.advance(0);
    assert.deepEqual(asked, ["a", "b"]);
    handler.sendEvent(new AnswerEvent({ id: "a", text: "first" }));
    assert.equal(await handler, "first");
  });

  it("does not also deliver the resolving event as a new input to the waiting step", async () => {
    const inputs: string[] = [];
    class Converse extends Workflow {
      @step({ accepts: [StartEvent, AnswerEvent], emits: StopEvent })
      async converse(ev: StartEvent | AnswerEvent, ctx: Context) {
        inputs.push(ev.constructor.name);
        if (ev instanceof AnswerEvent) return null;
        const answer = await ctx.waitForEvent(AnswerEvent, {
          waiterEvent: new QuestionEvent({ prompt: "?" }),
        });
        return new StopEvent({ result: answer.text });
      }
    }
    const handler = new Converse({ runtime: runtime() }).run();
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof QuestionEvent) handler.sendEvent(new AnswerEvent({ text: "yes" }));
    }
    assert.equal(await handler, "yes");
    assert.deepEqual(inputs, ["StartEvent", "StartEvent"]);
  });

  it("still delivers the resolving event to other steps that accept it", async () => {
    const heard: string[] = [];
    class Overheard extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async ask(_ev: StartEvent, ctx: Context) {
        const answer = await ctx.waitForEvent(AnswerEvent, {
          waiterEvent: new QuestionEvent({ prompt: "?" }),
        });
        return new StopEvent({ result: answer.text });
      }

      @step({ accepts: AnswerEvent })
      async listen(ev: AnswerEvent) {
        heard.push(ev.text);
      }
    }
    const clock = new TestClock();
    const handler = new Overheard({ runtime: runtime(clock) }).run();
    await clock.advance(0);
    handler.sendEvent(new AnswerEvent({ text: "hello" }));
    assert.equal(await handler, "hello");
    await clock.advance(0);
    assert.deepEqual(heard, ["hello"]);
  });

  it("gives a re-run step the events it collected before waiting, buffering its input only once", async () => {
    const clock = new TestClock();
    const pairs: string[] = [];
    class Pairing extends Workflow {
      @step({ accepts: StartEvent, emits: [AEvent, BEvent] })
      async first(_ev: StartEvent, ctx: Context) {
        ctx.sendEvent(new AEvent({ n: 1 }));
        ctx.sendEvent(new BEvent({ n: 1 }));
        return null;
      }

      @step({ accepts: NextEvent, emits: [AEvent, BEvent] })
      async second(_ev: NextEvent, ctx: Context) {
        ctx.sendEvent(new AEvent({ n: 2 }));
        ctx.sendEvent(new BEvent({ n: 2 }));
        return null;
      }

      @step({ accepts: [AEvent, BEvent], emits: [NextEvent, StopEvent] })
      async pair(ev: AEvent | BEvent, ctx: Context) {
        const got = ctx.collectEvents(ev, PAIR);
        if (!got) return null;
        await ctx.waitForEvent(GoEvent, { requirements: { round: pairs.length + 1 } });
        pairs.push(`A${got[0].n}+B${got[1].n}`);
        return pairs.length === 1 ? new NextEvent() : new StopEvent({ result: pairs.join(",") });
      }
    }
    const handler = new Pairing({ runtime: runtime(clock) }).run();
    await clock.advance(0);
    handler.sendEvent(new GoEvent({ round: 1 }));
    await clock.advance(0);
    handler.sendEvent(new GoEvent({ round: 2 }));
    await clock.advance(0);
    assert.equal(handler.isDone(), true);
    assert.equal(await handler, "A1+B1,A2+B2");
  });

  it("raises WorkflowTimeoutError inside the step once the wait's timeout has passed, and the step can catch it", async () => {
    const clock = new TestClock();
    class Patient extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async patient(_ev: StartEvent, ctx: Context) {
        try {
          const answer = await ctx.waitForEvent(AnswerEvent, { timeout: 30 });
          return new StopEvent({ result: answer.text });
        } catch (error) {
          if (error instanceof WorkflowTimeoutError) return new StopEvent({ result: "gave up" });
          throw error;
        }
      }
    }
    const handler = new Patient({ timeout: null, runtime: runtime(clock) }).run();
    await clock.advance(29_999);
    assert.equal(handler.isDone(), false);
    await clock.advance(1);
    assert.equal(handler.isDone(), true);
    assert.equal(await handler, "gave up");
  });

  it("fails the run with WorkflowTimeoutError when the step does not catch a wait's timeout", async () => {
    const clock = new TestClock();
    class Impatient extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async impatient(_ev: StartEvent, ctx: Context) {
        const answer = await ctx.waitForEvent(AnswerEvent, { timeout: 30 });
        return new StopEvent({ result: answer.text });
      }
    }
    const handler = new Impatient({ timeout: null, runtime: runtime(clock) }).run();
    await clock.advance(30_000);
    await assert.rejects(
      async () => await handler,
      (error: unknown) =>
        error instanceof WorkflowTimeoutError && /AnswerEvent/.test(error.message),
    );
  });
});

describe("human in the loop", () => {
  /** Asks with a returned InputRequiredEvent; a separate step takes the HumanResponseEvent. */
  class Interview extends Workflow {
    @step({ accepts: StartEvent, emits: QuestionEvent })
    async ask(ev: StartEvent) {
      return new QuestionEvent({ prompt: `Your ${ev.field}?` });
    }

    @step({ accepts: AnswerEvent, emits: StopEvent })
    async record(ev: AnswerEvent) {
      return new StopEvent({ result: `answered: ${ev.text}` });
    }
  }

  it("publishes an InputRequiredEvent that a step returns", async () => {
    const handler = new Interview({ runtime: runtime() }).run({ field: "name" });
    const prompts: string[] = [];
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof QuestionEvent) {
        prompts.push(ev.prompt);
        handler.sendEvent(new AnswerEvent({ text: "Ada" }));
      }
    }
    await handler;
    assert.deepEqual(prompts, ["Your name?"]);
  });

  it("delivers a HumanResponseEvent sent with handler.sendEvent to the step that accepts it", async () => {
    const clock = new TestClock();
    const handler = new Interview({ runtime: runtime(clock) }).run({ field: "name" });
    await clock.advance(0);
    handler.sendEvent(new AnswerEvent({ text: "Ada" }));
    assert.equal(await handler, "answered: Ada");
  });

  it("publishes WorkflowIdleEvent with includeInternal once nothing can move", async () => {
    const clock = new TestClock();
    const handler = new Interview({ runtime: runtime(clock) }).run({ field: "name" });
    const seen: string[] = [];
    for await (const ev of handler.streamEvents({ includeInternal: true })) {
      if (ev instanceof StepStateChanged) continue;
      seen.push(ev.constructor.name);
      // The idle check is a 0 ms timer of the run's clock.
      if (ev instanceof QuestionEvent) void clock.advance(0);
      if (ev instanceof WorkflowIdleEvent) handler.sendEvent(new AnswerEvent({ text: "Ada" }));
    }
    assert.equal(await handler, "answered: Ada");
    assert.deepEqual(seen, ["QuestionEvent", "WorkflowIdleEvent", "StopEvent"]);
  });

  it("publishes WorkflowIdleEvent while a step is parked in waitForEvent", async () => {
    const clock = new TestClock();
    const handler = askingWorkflow({ before: 0 }, clock).run({ topic: "colour" });
    const seen: string[] = [];
    for await (const ev of handler.streamEvents({ includeInternal: true })) {
      if (ev instanceof StepStateChanged) continue;
      seen.push(ev.constructor.name);
      if (ev instanceof QuestionEvent) void clock.advance(0);
      if (ev instanceof WorkflowIdleEvent) handler.sendEvent(new AnswerEvent({ text: "red" }));
    }
    assert.equal(await handler, "colour: red");
    assert.deepEqual(seen, ["QuestionEvent", "WorkflowIdleEvent", "StopEvent"]);
  });

  it("keeps WorkflowIdleEvent off the stream without includeInternal", async () => {
    const clock = new TestClock();
    const handler = new Interview({ runtime: runtime(clock) }).run({ field: "name" });
    const seen: string[] = [];
    for await (const ev of handler.streamEvents()) {
      seen.push(ev.constructor.name);
      if (ev instanceof QuestionEvent) {
        await clock.advance(0); // long enough for the idle check to run
        handler.sendEvent(new AnswerEvent({ text: "Ada" }));
      }
    }
    assert.deepEqual(seen, ["QuestionEvent", "StopEvent"]);
  });
});
