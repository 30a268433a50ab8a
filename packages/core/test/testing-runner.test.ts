import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Context,
  Event,
  InMemoryRuntime,
  StartEvent,
  StepStateChanged,
  StopEvent,
  step,
  TestClock,
  Workflow,
  WorkflowTestRunner,
} from "@stepwise/core";
import { z } from "zod";

class FirstEvent extends Event.define({ text: z.string() }) {}
class SecondEvent extends Event.define({ text: z.string() }) {}
class ProgressEvent extends Event.define({ percent: z.number() }) {}
class GreetStart extends StartEvent.define({ name: z.string() }) {}

/** Three steps in a line; the middle one writes three progress events to the stream. */
function linearWorkflow() {
  class Linear extends Workflow {
    @step({ accepts: StartEvent, emits: FirstEvent })
    async one(ev: StartEvent, ctx: Context) {
      await ctx.store.set("visited", ["one"]);
      return new FirstEvent({ text: String(ev.get("word", "hi")) });
    }

    @step({ accepts: FirstEvent, emits: SecondEvent })
    async two(ev: FirstEvent, ctx: Context) {
      for (const percent of [25, 50, 75]) ctx.writeEventToStream(new ProgressEvent({ percent }));
      return new SecondEvent({ text: `${ev.text} again` });
    }

    @step({ accepts: SecondEvent, emits: StopEvent })
    async three(ev: SecondEvent) {
      return new StopEvent({ result: ev.text.toUpperCase() });
    }
  }
  return new Linear({ runtime: new InMemoryRuntime({ clock: new TestClock() }) });
}

describe("WorkflowTestRunner", () => {
  it("returns the run's result", async () => {
    const { result } = await new WorkflowTestRunner(linearWorkflow()).run({ word: "hey" });
    assert.equal(result, "HEY AGAIN");
  });

  it("collects internal events by default: running and not running per step, then the stop event", async () => {
    const { collected } = await new WorkflowTestRunner(linearWorkflow()).run(undefined, {
      excludeEvents: [ProgressEvent],
    });
    assert.deepEqual(
      collected.map((ev) =>
        ev instanceof StepStateChanged ? `${ev.name}:${ev.stepState}` : ev.constructor.name,
      ),
      [
        "one:running",
        "one:notRunning",
        "two:running",
        "two:notRunning",
        "three:running",
        "three:notRunning",
        "StopEvent",
      ],
    );
  });

  it("counts the collected events by type", async () => {
    const { eventTypes } = await new WorkflowTestRunner(linearWorkflow()).run();
    assert.deepEqual(eventTypes, { StepStateChanged: 6, ProgressEvent: 3, StopEvent: 1 });
  });

  it("collects only published events with `includeInternal: false`", async () => {
    const { collected, eventTypes } = await new WorkflowTestRunner(linearWorkflow()).run(
      undefined,
      { includeInternal: false },
    );
    assert.deepEqual(eventTypes, { ProgressEvent: 3, StopEvent: 1 });
    assert.deepEqual(
      collected.map((ev) => ev.get("percent", null)),
      [25, 50, 75, null],
    );
  });

  it("leaves out the event classes named in `excludeEvents`", async () => {
    const { eventTypes } = await new WorkflowTestRunner(linearWorkflow()).run(undefined, {
      excludeEvents: [StepStateChanged, ProgressEvent],
    });
    assert.deepEqual(eventTypes, { StopEvent: 1 });
  });

  it("returns the run's context, with the store as the run left it", async () => {
    const { ctx } = await new WorkflowTestRunner(linearWorkflow()).run();
    assert.ok(ctx instanceof Context);
    assert.deepEqual(ctx.store.get("visited"), ["one"]);
  });

  it("runs in the context it is given", async () => {
    const wf = linearWorkflow();
    const ctx = new Context(wf);
    await ctx.store.set("seeded", true);
    const result = await new WorkflowTestRunner(wf).run(undefined, { ctx });
    assert.equal(result.ctx, ctx);
    assert.equal(ctx.store.get("seeded"), true);
  });

  it("takes a typed start event instance as input", async () => {
    class Greeter extends Workflow {
      @step({ accepts: GreetStart, emits: StopEvent })
      async greet(ev: GreetStart) {
        return new StopEvent({ result: `hello ${ev.name}` });
      }
    }
    const { result } = await new WorkflowTestRunner(new Greeter()).run(
      new GreetStart({ name: "Ada" }),
    );
    assert.equal(result, "hello Ada");
  });

  it("rejects with the step's own error when the run fails", async () => {
    const boom = new Error("boom");
    class Failing extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async fail(): Promise<StopEvent> {
        throw boom;
      }
    }
    await assert.rejects(
      new WorkflowTestRunner(new Failing()).run(),
      (error: unknown) => error === boom,
    );
  });
});
