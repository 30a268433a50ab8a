import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Context,
  Event,
  EventValidationError,
  InputRequiredEvent,
  StartEvent,
  StepStateChanged,
  StopEvent,
  step,
  UnhandledEvent,
  Workflow,
  WorkflowCancelledError,
  WorkflowHandler,
  WorkflowRuntimeError,
} from "@stepwise/core";
import { z } from "zod";

const typeOf = (ev: Event) => (ev.constructor as typeof Event).eventType;

class Echo extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  async echo(ev: StartEvent) {
    return new StopEvent({ result: ev.value });
  }
}

describe("run()", () => {
  it("returns a handler at once and resolves to the stop event's result", async () => {
    const handler = new Echo().run({ value: 7 });
    assert.ok(handler instanceof WorkflowHandler);
    assert.equal(handler.isDone(), false);
    assert.equal(await handler, 7);
    assert.equal(handler.isDone(), true);
  });

  it("accepts a start event instance, or no input", async () => {
    assert.equal(await new Echo().run(new StartEvent({ value: "inst" })), "inst");
    assert.equal(await new Echo().run(), undefined);
  });

  it("is awaitable repeatedly", async () => {
    const handler = new Echo().run({ value: 1 });
    assert.equal(await handler, 1);
    assert.equal(await handler, 1);
  });

  it("builds a typed start from the input, throwing EventValidationError synchronously on bad input", async () => {
    class Query extends StartEvent.define({
      query: z.string(),
      maxResults: z.number().default(10),
    }) {}
    class Typed extends Workflow<{ query: string; maxResults?: number }> {
      @step({ accepts: Query, emits: StopEvent })
      async go(ev: Query) {
        return new StopEvent({ result: `${ev.query}:${ev.maxResults}` });
      }
    }
    assert.equal(await new Typed().run({ query: "q" }), "q:10");
    assert.throws(() => new Typed().run({ query: 1 } as never), EventValidationError);
  });

  it("refuses a start event of another class", () => {
    class Query extends StartEvent.define({ query: z.string() }) {}
    class Typed extends Workflow {
      @step({ accepts: Query, emits: StopEvent })
      go() {
        return new StopEvent();
      }
    }
    assert.throws(
      () => new Typed().run(new StartEvent({})),
      /start event must be an instance of `Query`/,
    );
  });

  it("resolves to the typed stop event itself", async () => {
    class Answer extends StopEvent.define({ answer: z.string(), sources: z.array(z.string()) }) {}
    class Typed extends Workflow<Record<string, never>, Answer> {
      @step({ accepts: StartEvent, emits: Answer })
      go() {
        return new Answer({ answer: "a", sources: ["s1"] });
      }
    }
    const result = await new Typed().run();
    assert.ok(result instanceof Answer);
    assert.deepEqual(result.sources, ["s1"]);
  });

  it("uses the given runId and refuses a second active run with the same id", async () => {
    const wf = new Echo();
    const slow = new Workflow().addStep(
      "wait",
      { accepts: StartEvent, emits: StopEvent },
      async (_ev, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        return new StopEvent();
      },
    );
    const first = slow.run({}, { runId: "same-id" });
    assert.equal(first.runId, "same-id");
    assert.throws(() => wf.run({}, { runId: "same-id" }), /runId `same-id` already exists/);
    await first.cancel();
    assert.equal(await wf.run({ value: 2 }, { runId: "same-id" }), 2);
  });

  it("makes a 10-character alphanumeric runId by default", () => {
    const handler = new Echo().run();
    assert.match(handler.runId, /^[0-9A-Za-z]{10}$/);
    assert.equal(handler.ctx.runId, handler.runId);
  });

  it("runs from synchronous code with then()", async () => {
    const result = await new Promise((resolve) => {
      void new Echo().run({ value: "sync" }).then(resolve);
    });
    assert.equal(result, "sync");
  });

  it("gives the run's context as handler.ctx", async () => {
    const handler = new Echo().run({ value: 1 });
    assert.ok(handler.ctx instanceof Context);
    await handler;
  });
});

describe("streamEvents()", () => {
  it("yields published events and ends with the stop event", async () => {
    class Progress extends Event.define({ n: z.number() }) {}
    const wf = new Workflow().addStep(
      "go",
      { accepts: StartEvent, emits: StopEvent },
      async (_ev, ctx) => {
        for (let n = 1; n <= 3; n++) ctx.writeEventToStream(new Progress({ n }));
        return new StopEvent({ result: "done" });
      },
    );
    const handler = wf.run();
    const seen: string[] = [];
    for await (const ev of handler.streamEvents())
      seen.push(ev instanceof Progress ? `p${ev.n}` : typeOf(ev));
    assert.deepEqual(seen, ["p1", "p2", "p3", "StopEvent"]);
    assert.equal(await handler, "done");
  });

  it("is buffered from the start of the run", async () => {
    const handler = new Echo().run({ value: 1 });
    await handler;
    const seen: string[] = [];
    for await (const ev of handler.streamEvents()) seen.push(typeOf(ev));
    assert.deepEqual(seen, ["StopEvent"]);
  });

  it("does not stream events that steps return to each other", async () => {
    class Mid extends Event.define({}) {}
    const wf = new Workflow()
      .addStep("a", { accepts: StartEvent, emits: Mid }, () => new Mid())
      .addStep("b", { accepts: Mid, emits: StopEvent }, () => new StopEvent());
    const seen: string[] = [];
    for await (const ev of wf.run().streamEvents()) seen.push(typeOf(ev));
    assert.deepEqual(seen, ["StopEvent"]);
  });

  it("adds RUNNING and NOT_RUNNING step states with includeInternal", async () => {
    class Mid extends Event.define({}) {}
    const handler = new Workflow()
      .addStep("one", { accepts: StartEvent, emits: Mid }, () => new Mid())
      .addStep("two", { accepts: Mid, emits: StopEvent }, () => new StopEvent())
      .run();
    const states: string[] = [];
    for await (const ev of handler.streamEvents({ includeInternal: true })) {
      if (ev instanceof StepStateChanged)
        states.push(`${ev.name}:${ev.stepState}:${ev.outputEventName ?? "-"}`);
      else states.push(typeOf(ev));
    }
    assert.deepEqual(states, [
      "one:running:-",
      "one:notRunning:Mid",
      "two:running:-",
      "two:notRunning:StopEvent",
      "StopEvent",
    ]);
  });

  it("refuses a second consumer", async () => {
    const handler = new Echo().run();
    handler.streamEvents();
    assert.throws(() => handler.streamEvents(), WorkflowRuntimeError);
    await handler;
  });

  it("publishes an InputRequiredEvent returned by a step", async () => {
    class Ask extends InputRequiredEvent.define({ prompt: z.string() }) {}
    const wf = new Workflow({ timeout: null }).addStep(
      "ask",
      { accepts: StartEvent, emits: [Ask, StopEvent] },
      () => new Ask({ prompt: "name?" }),
    );
    const handler = wf.run();
    for await (const ev of handler.streamEvents()) {
      assert.ok(ev instanceof Ask);
      assert.equal(ev.prompt, "name?");
      break;
    }
    await handler.cancel();
  });

  it("reports an event no step accepts as UnhandledEvent", async () => {
    class Stray extends Event.define({}) {}
    const wf = new Workflow({ validate: false }).addStep(
      "go",
      { accepts: StartEvent, emits: StopEvent },
      async (_ev, ctx) => {
        ctx.sendEvent(new Stray());
        await Promise.resolve();
        return new StopEvent();
      },
    );
    const handler = wf.run();
    const unhandled: string[] = [];
    for await (const ev of handler.streamEvents({ includeInternal: true })) {
      if (ev instanceof UnhandledEvent) unhandled.push(ev.eventType);
    }
    assert.deepEqual(unhandled, ["Stray"]);
  });
});

describe("handler.sendEvent()", () => {
  it("delivers an event from outside to the steps that accept it", async () => {
    class Poke extends Event.define({ n: z.number() }) {}
    const wf = new Workflow({ validate: false })
      .addStep("start", { accepts: StartEvent }, () => null)
      .addStep(
        "poked",
        { accepts: Poke, emits: StopEvent },
        (ev) => new StopEvent({ result: ev.n }),
      );
    const handler = wf.run();
    handler.sendEvent(new Poke({ n: 5 }));
    assert.equal(await handler, 5);
  });

  it("names an unknown target step", () => {
    const handler = new Echo().run();
    assert.throws(
      () => handler.sendEvent(new StartEvent({}), { step: "nope" }),
      /Step `nope` does not exist in Echo/,
    );
  });

  it("refuses a target step that does not accept the event", () => {
    class Other extends Event.define({}) {}
    const handler = new Echo().run();
    assert.throws(
      () => handler.sendEvent(new Other(), { step: "echo" }),
      /Step `echo` does not accept event of type `Other`/,
    );
  });

  it("refuses a value that is not an event", () => {
    const handler = new Echo().run();
    assert.throws(
      () => handler.sendEvent({ n: 1 } as never),
      /takes an event instance; got a plain object/,
    );
  });

  it("refuses events once the run has ended", async () => {
    const handler = new Echo().run();
    await handler;
    assert.throws(() => handler.sendEvent(new StartEvent({})), /has already ended/);
  });
});

describe("concurrency", () => {
  it("runs at most numWorkers invocations of a step at once and queues the rest in order", async () => {
    class Job extends Event.define({ id: z.number() }) {}
    class Done extends Event.define({ id: z.number() }) {}
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const expected = Array.from({ length: 10 }, () => Done);
    const wf = new Workflow()
      .addStep("fan", { accepts: StartEvent, emits: Job }, (_ev, ctx) => {
        for (let id = 0; id < 10; id++) ctx.sendEvent(new Job({ id }));
        return null;
      })
      .addStep("work", { accepts: Job, emits: Done, numWorkers: 3 }, async (ev) => {
        order.push(ev.id);
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        running--;
        return new Done({ id: ev.id });
      })
      .addStep("gather", { accepts: Done, emits: StopEvent }, (ev, ctx) => {
        const all = ctx.collectEvents(ev, expected);
        return all ? new StopEvent({ result: all.length }) : null;
      });
    assert.equal(await wf.run(), 10);
    assert.equal(peak, 3);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("queues runs beyond numConcurrentRuns until a slot frees", async () => {
    let running = 0;
    let peak = 0;
    const wf = new Workflow({ numConcurrentRuns: 2 }).addStep(
      "go",
      { accepts: StartEvent, emits: StopEvent },
      async (ev) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
        return new StopEvent({ result: ev.i });
      },
    );
    const results = await Promise.all([0, 1, 2, 3, 4].map((i) => wf.run({ i })));
    assert.deepEqual(results, [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
  });

  it("cancels a run that waits for a slot without starting it", async () => {
    let started = 0;
    const wf = new Workflow({ numConcurrentRuns: 1 }).addStep(
      "go",
      { accepts: StartEvent, emits: StopEvent },
      async () => {
        started++;
        await new Promise((resolve) => setTimeout(resolve, 2));
        return new StopEvent();
      },
    );
    const first = wf.run();
    const second = wf.run();
    await second.cancel();
    await assert.rejects(second, WorkflowCancelledError);
    await first;
    assert.equal(started, 1);
  });
});

describe("run signal", () => {
  it("cancels the run when the signal aborts", async () => {
    const controller = new AbortController();
    const wf = new Workflow().addStep(
      "wait",
      { accepts: StartEvent, emits: StopEvent },
      async (_ev, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        return new StopEvent();
      },
    );
    const handler = wf.run({}, { signal: controller.signal });
    controller.abort();
    await assert.rejects(handler, WorkflowCancelledError);
  });
});
